"""The README and docs/ as a newcomer uses them: every relative link opens a file (and, with `#anchor`, a
heading in it), and every `newsdrop ...` command they show exists, so `newsdrop <command> --help` answers.

The commands are read from the docs themselves (code blocks and inline code), so a doc that names a
subcommand the CLI does not have fails here, whoever wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import pytest

from newsdrop.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~)[^\n]*\n.*?^\1[ \t]*$", re.M | re.S)
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.S)
# [text](target) and ![alt](target); the target ends at whitespace (an optional "title" may follow)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
# In inline code: `newsdrop run ...`, `.venv/bin/newsdrop dev`: the word after the program's name.
COMMAND = re.compile(r"(?<![\w.\-/])(?:\S*/)?newsdrop[ \t]+([a-z][a-z0-9-]*)")
# In a code block, only where a shell would run it (a line's start, after `$`, `;`, `&&`, `|`, `(`, or as
# a path such as .venv/bin/newsdrop), so a layout listing's "the newsdrop layer" is not a command.
BLOCK_COMMAND = re.compile(
    r"(?:^[ \t]*(?:\$[ \t]+)?|[;&|(][ \t]*)(?:\S*/)?newsdrop[ \t]+([a-z][a-z0-9-]*)", re.M
)


def commands_in(text: str) -> list[str]:
    """The subcommands a Markdown text shows in its code blocks and inline code, in order."""
    found = [m.group(1) for b in FENCE.finditer(text) for m in BLOCK_COMMAND.finditer(b.group(0))]
    for span in INLINE_CODE.finditer(FENCE.sub("", text)):
        found += [m.group(1) for m in COMMAND.finditer(span.group(2))]
    return found


def _prose(text: str) -> str:
    """The text without code, where links and headings live."""
    return INLINE_CODE.sub(" ", FENCE.sub("", text))


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text without markup, lower-cased, punctuation dropped (letters,
    digits, `_`, `-` and spaces stay), spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.strip().lower()
    kept = "".join(
        ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in ("L", "N") or ch == "\u200d"
    )
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, with GitHub's -1, -2... for repeated headings."""
    seen: dict[str, int] = {}
    out = set()
    for m in HEADING.finditer(FENCE.sub("", path.read_text(encoding="utf-8"))):
        slug = github_slug(m.group(2))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def relative_links() -> list[tuple[Path, str]]:
    links = []
    for doc in DOCS:
        for m in LINK.finditer(_prose(doc.read_text(encoding="utf-8"))):
            target = m.group(1)
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
                continue  # https:, mailto:...: not ours to check offline
            links.append((doc, target))
    return links


def documented_commands() -> dict[str, list[str]]:
    """subcommand -> the docs that show it."""
    found: dict[str, list[str]] = {}
    for doc in DOCS:
        for command in commands_in(doc.read_text(encoding="utf-8")):
            where = found.setdefault(command, [])
            if str(doc.relative_to(ROOT)) not in where:
                where.append(str(doc.relative_to(ROOT)))
    return found


LINKS = relative_links()
COMMANDS = documented_commands()


def test_the_docs_are_found_and_show_links_and_commands():
    # the scanners themselves: if a change to them found nothing, every test below would pass vacuously
    assert (ROOT / "README.md") in DOCS and len(DOCS) > 1
    assert any(doc.name == "README.md" for doc, _ in LINKS)
    assert {"run", "dev", "drop"} <= set(COMMANDS)


@pytest.mark.parametrize("doc,target", LINKS, ids=[f"{d.relative_to(ROOT)}->{t}" for d, t in LINKS])
def test_every_relative_link_resolves(doc: Path, target: str):
    path_part, _, anchor = target.partition("#")
    path = (doc.parent / path_part).resolve() if path_part else doc
    assert path.exists(), f"{doc.relative_to(ROOT)} links to {target}, and {path_part} does not exist"
    if anchor:
        assert path.suffix == ".md", f"{doc.relative_to(ROOT)}: #{anchor} into a file that is not Markdown"
        assert anchor in anchors(path), (
            f"{doc.relative_to(ROOT)} links to {target}, and {path.relative_to(ROOT)} has no heading "
            f"whose anchor is #{anchor}"
        )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_documented_command_exists(command: str):
    out = StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0, (
        f"`newsdrop {command}` is shown in {', '.join(COMMANDS[command])}, but the CLI has no such command"
    )
    assert f"newsdrop {command}" in out.getvalue()


# The checkers on known cases, so a broken slug or scanner cannot pass every doc by accident.


@pytest.mark.parametrize(
    "heading,slug",
    [
        ("Two commands on a fresh machine", "two-commands-on-a-fresh-machine"),
        ("The local stack: `newsdrop dev`", "the-local-stack-newsdrop-dev"),
        ("Unsubscribe by email (SES receiving)", "unsubscribe-by-email-ses-receiving"),
        ("Limits, and why", "limits-and-why"),
        ("Cold starts, the layer, and faults that heal", "cold-starts-the-layer-and-faults-that-heal"),
        ("`RelatedTable` item_layout", "relatedtable-item_layout"),
        ("Canonical lists: late events heal themselves", "canonical-lists-late-events-heal-themselves"),
    ],
)
def test_github_slugs(heading: str, slug: str):
    assert github_slug(heading) == slug


def test_scanners_find_commands_in_code_only_and_links_outside_it(tmp_path: Path):
    text = (
        "Run `newsdrop run samples` or `.venv/bin/newsdrop dev`; the newsdrop layer is prose.\n"
        "`newsdrop.models` is a module, `--stack newsdrop` a default.\n\n"
        "```sh\n.venv/bin/newsdrop drop a.md --local\n[not a link](nowhere.md)\n"
        "make setup && newsdrop reindex --local\n```\n\n"
        "```\nshared/Makefile   builds the newsdrop layer\n```\n\n"
        "See [the docs](docs/x.md#a-b) and [the web](https://example.com).\n"
    )
    assert sorted(set(commands_in(text))) == ["dev", "drop", "reindex", "run"]
    assert [m.group(1) for m in LINK.finditer(_prose(text))] == ["docs/x.md#a-b", "https://example.com"]


def test_an_unknown_command_fails_its_help():
    with redirect_stdout(StringIO()), pytest.raises(SystemExit) as exit_:
        main(["no-such-command", "--help"])
    assert exit_.value.code != 0
