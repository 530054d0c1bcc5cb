"""newsdrop.regex_table: the regular expressions compiled when a layer is built are the ones Python would
compile, they are used only by the Python that made them, and a pattern not in the table compiles as usual."""

import json
import subprocess
import sys
from pathlib import Path
from re import _compiler

from newsdrop.regex_build import patterns_in_source, program, write_table
from newsdrop.regex_table import from_program

SHARED = Path(__file__).resolve().parents[1] / "shared"


def test_every_pattern_of_newsdrop_made_from_its_program_is_the_one_python_compiles():
    patterns = set()
    for file in sorted((SHARED / "newsdrop").rglob("*.py")):
        patterns |= patterns_in_source(file.read_text(encoding="utf-8"))
    assert len(patterns) > 60  # the ingest modules alone compile more
    for pattern, flags in sorted(patterns, key=repr):
        made, compiled = from_program(pattern, program(pattern, flags)), _compiler.compile(pattern, flags)
        # Pattern equality compares the pattern, the flags and the program itself
        assert made == compiled, pattern
        assert (made.groups, made.groupindex, made.flags) == (
            compiled.groups,
            compiled.groupindex,
            compiled.flags,
        )


def test_the_build_finds_literal_patterns_with_their_flags_and_skips_the_others():
    source = """
import re
A = re.compile(r"<(p|div)\\b[^>]*>", re.I | re.S)
B = re.compile("a" "b+", flags=re.M)
def f(text, name):
    re.sub(r"\\s+", " ", text, 0, re.A)
    re.split(r"\\s*;\\s*", text)
    re.compile(name)  # not a literal: compiled at run time, as ever
    re.compile(f"{name}+")
"""
    assert patterns_in_source(source) == {
        (r"<(p|div)\b[^>]*>", 2 | 16),
        ("ab+", 8),
        (r"\s+", 256),
        (r"\s*;\s*", 0),
    }


PROBE = """
import json, re, sys
from re import _compiler
compiled = []
real = _compiler.compile
_compiler.compile = lambda p, f=0: compiled.append(p) or real(p, f)
import newsdrop.regex_table as table
installed = table.install()
a = re.compile(r"(?P<word>\\w+)-(\\d+)", re.I)
b = re.compile(r"not in the table")
print(json.dumps({"installed": installed, "compiled": compiled, "same": a == real(r"(?P<word>\\w+)-(\\d+)", re.I),
                  "match": a.match("Ab-12").groupdict(), "b": bool(b.match("not in the table"))}))
"""


def _probe(folder: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=SHARED,
        env={"PYTHONPATH": f"{folder}:{SHARED}"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_installed_the_table_gives_re_compile_its_patterns_and_compiles_the_others(tmp_path):
    assert write_table(str(tmp_path / "_newsdrop_regex_body.py"), {(r"(?P<word>\w+)-(\d+)", 2)}) == 1
    seen = _probe(tmp_path)
    assert seen["installed"] is True
    assert seen["compiled"] == ["not in the table"]  # the table's pattern was not compiled again
    assert seen["same"] and seen["match"] == {"word": "Ab"} and seen["b"]


def test_a_table_another_python_made_is_not_used(tmp_path):
    table = tmp_path / "_newsdrop_regex_body.py"
    write_table(str(table), {(r"(?P<word>\w+)-(\d+)", 2)})
    table.write_text(table.read_text().replace("MAGIC = ", "MAGIC = 1 + "))
    seen = _probe(tmp_path)
    assert seen["installed"] is False
    assert seen["compiled"] == [r"(?P<word>\w+)-(\d+)", "not in the table"]
    assert seen["same"] and seen["match"] == {"word": "Ab"}
