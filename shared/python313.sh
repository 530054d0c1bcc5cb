#!/bin/sh
# Prints a directory holding a python3.13 for `sam build` (the functions' runtime is python3.13, and SAM's
# python builder refuses any other version), to put first on PATH: the one already on PATH, else one that
# pyenv, uv or the system installed. Exits 1, saying how to get one, when there is none.
set -u
works() { [ -x "$1/python3.13" ] && "$1/python3.13" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; }
found=$(command -v python3.13 2>/dev/null) && works "$(dirname "$found")" && { dirname "$found"; exit 0; }
if command -v pyenv >/dev/null 2>&1; then
    # pyenv's shim says "command not found" unless 3.13 is selected: use the newest installed 3.13.x itself
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.13(\.[0-9]+)?$' | sort -t. -k3 -n -r); do
        dir="$(pyenv root)/versions/$version/bin"
        works "$dir" && { echo "$dir"; exit 0; }
    done
fi
for dir in "$HOME/.local/bin" /usr/local/bin /usr/bin /opt/homebrew/bin; do
    works "$dir" && { echo "$dir"; exit 0; }
done
cat >&2 <<'HELP'
sam build needs Python 3.13 (the functions' runtime), and none was found. Any one of these gives it:
  pyenv install 3.13            (then run make again; no need to select it)
  uv python install 3.13        (installs python3.13 into ~/.local/bin)
  sudo apt-get install python3.13   (Debian 13 / Ubuntu 24.10 and later)
or build in Docker instead, with no local Python 3.13:  sam build --use-container
HELP
exit 1
