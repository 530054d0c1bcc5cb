"""What is tested is what ships: shared/constraints.txt pins every runtime library; the layer's build
and of the library layers (shared/Makefile, shared/layers/*.txt) and the test environment (`make setup`)
all install from it. These fail when the environment drifts from the pins, or
when a runtime requirement is added without a pin (the build would then pick whatever is newest)."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "shared" / "constraints.txt"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    out = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"constraints pin exact versions: {line!r}"
            out[canonical(name)] = version.strip()
    return out


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(canonical(re.split(r"[\s\[<>=!~;]", line, maxsplit=1)[0]))
    return names


def runtime_requirements() -> dict[str, set[str]]:
    files = [ROOT / "shared" / "requirements.txt", *sorted((ROOT / "shared" / "layers").glob("*.txt"))]
    return {str(f.relative_to(ROOT)): requirement_names(f) for f in files}


def test_every_runtime_requirement_is_pinned():
    pinned = pins()
    unpinned = {f: sorted(n - pinned.keys()) for f, n in runtime_requirements().items() if n - pinned.keys()}
    assert not unpinned, f"add these to shared/constraints.txt: {unpinned}"


def test_the_test_environment_runs_the_pinned_versions():
    drift = {}
    for name, version in pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # pinned for a function whose library the tests do not install (yet)
        if installed != version:
            drift[name] = f"tests run {installed}, constraints say {version}"
    assert not drift, f"`make setup` (pip -c shared/constraints.txt), or change the pin: {drift}"


def test_every_library_a_function_ships_is_installed_for_the_tests():
    missing = {
        f: sorted(n for n in names if not _installed(n)) for f, names in runtime_requirements().items()
    }
    assert not any(missing.values()), f"add them to pyproject.toml's dependencies: {missing}"


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
        return True
    except metadata.PackageNotFoundError:
        return False


def test_the_layer_and_the_test_environment_install_from_the_same_file():
    layer = (ROOT / "shared" / "Makefile").read_text()
    top = (ROOT / "Makefile").read_text()
    command = re.search(r"pip install(?:[^\n]*\\\n)*[^\n]*", layer)
    assert command and "-c constraints.txt" in command.group(0), (
        "shared/Makefile: pip install -c constraints.txt"
    )
    assert "CONSTRAINTS := shared/constraints.txt" in top
    assert '-e ".[dev]" -c $(CONSTRAINTS)' in top
    assert "PIP_CONSTRAINT=$(CURDIR)/$(CONSTRAINTS)" in top
