"""The tables of newsdrop.regex_table, written when shared/Makefile builds a layer (see there).

python3.13 -m newsdrop.regex_build OUT.py [--path DIR] [--source DIR]... [--import MODULE]...
"""

import re
import sys
from array import array
from typing import Any

from newsdrop.regex_table import Program, engine


def program(pattern: Any, flags: int) -> Program:
    """The program ``re._compiler.compile`` makes of ``pattern`` (with the flags it adds)."""
    import _sre
    from re import _compiler, _parser

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    state = parsed.state
    words = array("I", [int(op) for op in code])
    assert words.itemsize == _sre.CODESIZE  # the words from_program reads back
    return flags | state.flags, words.tobytes(), state.groups - 1, dict(state.groupdict)


_RE_FUNCTIONS = {"compile", "match", "search", "fullmatch", "sub", "subn", "split", "findall", "finditer"}
_FLAGS_AT = {"compile": 1, "match": 2, "search": 2, "fullmatch": 2, "findall": 2, "finditer": 2, "split": 3,
             "sub": 4, "subn": 4}  # fmt: skip


def _literal(node: Any, names: dict[str, Any]) -> Any:
    """A pattern or flags written as a literal: strings (concatenated), ``re.I | re.M``, a module-level
    name bound to one of these (``names``); else None."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes | int):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr | ast.Add):
        left, right = _literal(node.left, names), _literal(node.right, names)
        if left is None or right is None or type(left) is not type(right):
            return None
        return left | right if isinstance(node.op, ast.BitOr) else left + right
    is_flag = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "re"
    if is_flag and isinstance(getattr(re, node.attr, None), re.RegexFlag):
        return int(getattr(re, node.attr))
    return None


def patterns_in_source(source: str) -> set[tuple[Any, int]]:
    """(pattern, flags) of each call of ``re``'s functions in ``source`` with a literal pattern."""
    import ast

    tree = ast.parse(source)
    names: dict[str, Any] = {}  # module-level constants: NAME = "..."
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and [type(t) for t in statement.targets] == [ast.Name]:
            value = _literal(statement.value, names)
            if value is not None:
                names[statement.targets[0].id] = value
    found = set()
    for node in ast.walk(tree):
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if not (call and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"):
            continue
        if node.func.attr not in _RE_FUNCTIONS or not node.args:
            continue
        at = _FLAGS_AT[node.func.attr]
        flags_node = node.args[at] if len(node.args) > at else None
        flags_node = next((k.value for k in node.keywords if k.arg == "flags"), flags_node)
        pattern = _literal(node.args[0], names)
        flags = 0 if flags_node is None else _literal(flags_node, names)
        if isinstance(pattern, str | bytes) and isinstance(flags, int):
            found.add((pattern, flags))
    return found


def patterns_of_imports(modules: list[str]) -> set[tuple[Any, int]]:
    """(pattern, flags) of every pattern the packages of ``modules`` compile while they are imported
    (not those of the standard library's modules they import: boto3 imports many of those too)."""
    from re import _compiler

    packages = tuple({m.split(".")[0] for m in modules})
    found: set[tuple[Any, int]] = set()
    compile_ = _compiler.compile

    def recording(pattern: Any, flags: int = 0) -> Any:
        caller = sys._getframe(1)
        while caller is not None and caller.f_globals.get("__name__", "").partition(".")[0] == "re":
            caller = caller.f_back  # re.compile, re._compile
        name = caller.f_globals.get("__name__", "") if caller is not None else ""
        if isinstance(pattern, str | bytes) and name.split(".")[0] in packages:
            found.add((pattern, int(flags)))
        return compile_(pattern, flags)

    _compiler.compile = recording
    try:
        for module in modules:
            __import__(module)
    finally:
        _compiler.compile = compile_
    return found


def write_table(path: str, patterns: set[tuple[Any, int]]) -> int:
    """The table module of ``patterns``' programs; returns how many it holds (those that compile)."""
    programs = {}
    for pattern, flags in patterns:
        if flags & re.DEBUG:
            continue
        try:
            programs[pattern, flags] = program(pattern, flags)
        except (re.error, OverflowError, RecursionError, ValueError, TypeError):
            continue  # not a valid pattern (or not for this Python): left to fail where it is used
    magic, version = engine()
    with open(path, "w", encoding="ascii") as out:
        out.write(f'"""Generated by newsdrop.regex_build when the layer was built."""\n\nMAGIC = {magic}\n')
        out.write(f"VERSION = {version!r}\nPROGRAMS = {ascii(dict(sorted(programs.items(), key=repr)))}\n")
    return len(programs)


def main(argv: list[str] | None = None) -> int:
    """python3.13 -m newsdrop.regex_build OUT.py [--path DIR] [--source DIR]... [--import MODULE]..."""
    import argparse
    from pathlib import Path

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("out")
    p.add_argument("--path", action="append", default=[], help="put DIR first on sys.path (the layer's)")
    p.add_argument("--source", action="append", default=[], help="the .py files under DIR")
    p.add_argument("--import", dest="modules", action="append", default=[], help="a library to import")
    args = p.parse_args(argv)
    sys.path[:0] = args.path
    patterns = patterns_of_imports(args.modules)
    for folder in args.source:
        for file in sorted(Path(folder).rglob("*.py")):
            patterns |= patterns_in_source(file.read_text(encoding="utf-8"))
    print(f"{args.out}: {write_table(args.out, patterns)} regular expressions compiled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
