"""Regular expressions compiled when the layers are built, not on every cold start.

Python compiles a regular expression in Python (``re._parser``, ``re._compiler``): a pattern becomes a list
of integers, the program ``_sre`` runs. The handlers' modules compile about a hundred of them at import
(the body cleaner's, the tagger's, the readers', PyYAML's resolvers, Jinja2's lexer), which was a tenth of
the ingest function's first invocation (docs/benchmarks.md, cold start), redone by every new container.

``shared/Makefile`` compiles them once, with the runtime's Python 3.13, when it builds each layer
(``python3.13 -m newsdrop.regex_build``): the patterns written as literals in newsdrop's source
(``re.compile``, ``re.match``...), in pydantic's and in Powertools'; PyYAML's, Jinja2's and markdown-it-py's
recorded while importing them. Each layer gets a table module, ``(pattern, flags) -> program``.
``install()`` (``newsdrop/__init__.py``) gives ``re`` a cache that finds a pattern in those tables when it
misses: ``re.compile`` then returns the pattern ``_sre.compile`` makes of the stored program, the same
object as Python's own compiler makes (the same pattern, flags, groups and program), without compiling it.
A pattern not in a table is compiled as usual; a table made by another Python (its ``_sre.MAGIC`` or
version differ) is not used. Only the patterns a process asks for are made from their programs.
"""

import re
import sys
from typing import Any

# The table module each layer's build writes (shared/Makefile), in the order they are looked up.
TABLES = (
    "newsdrop._regex_table",  # NewsdropLayer: newsdrop's own patterns, PyYAML's, pydantic's, Powertools'
    "_newsdrop_regex_templating",  # TemplatingLayer: Jinja2's
    "_newsdrop_regex_body",  # BodyLibrariesLayer: markdown-it-py's
)
# A stored program: what re._compiler.compile hands _sre.compile besides the pattern.
# (flags, code, groups - 1, group index); the code's integers packed as 4-byte words (_sre.CODESIZE), which
# a table loads as one bytes object each instead of thousands of ints.
Program = tuple[int, bytes, int, dict[str, int]]


class PrecompiledCache(dict):
    """``re``'s own cache (``re._cache``), which on a miss makes the pattern from a stored program if one
    is there. ``re._compile`` reads it with ``pop(key, None)`` from Python 3.12 on, with ``[key]`` on 3.11."""

    def __init__(self, entries: dict, programs: dict[tuple[Any, int], Program]):
        super().__init__(entries)
        self.programs = programs

    def pop(self, key: Any, *default: Any) -> Any:
        found = dict.pop(self, key, None)
        if found is None:
            found = self.made(key)
        if found is None:
            if default:
                return default[0]
            raise KeyError(key)
        return found

    def __missing__(self, key: Any) -> Any:
        found = self.made(key)
        if found is None:
            raise KeyError(key)
        self[key] = found
        return found

    def made(self, key: Any) -> Any:
        """The pattern of ``key`` (type, pattern, flags) from its stored program, or None."""
        try:
            program = self.programs.pop(key[1:])
        except (KeyError, TypeError):
            return None
        return from_program(key[1], program)


def from_program(pattern: Any, program: Program) -> Any:
    """What ``re._compiler.compile`` returns for ``pattern``, given the program it would have made."""
    import _sre

    flags, code, groups, groupindex = program
    indexgroup: list[str | None] = [None] * (groups + 1)
    for name, index in groupindex.items():
        indexgroup[index] = name
    try:
        words = list(memoryview(code).cast("I"))
        return _sre.compile(pattern, flags, words, groups, dict(groupindex), tuple(indexgroup))
    except (RuntimeError, TypeError, ValueError):  # a program _sre refuses: compiled as usual instead
        return None


def engine() -> tuple[int, tuple[int, int]]:
    """What a table is valid for: the engine's format and this Python's version."""
    import _sre

    return _sre.MAGIC, tuple(sys.version_info[:2])  # type: ignore[return-value]


def install() -> bool:
    """Put the layers' tables behind ``re``'s cache; False when there is none for this Python."""
    if isinstance(getattr(re, "_cache", None), PrecompiledCache):
        return True  # already (newsdrop/__init__.py)
    programs: dict[tuple[Any, int], Program] = {}
    for name in TABLES:
        try:
            __import__(name)
        except ImportError:
            continue
        table = sys.modules[name]
        if (table.MAGIC, tuple(table.VERSION)) == engine():
            programs.update(table.PROGRAMS)
    if not programs or type(getattr(re, "_cache", None)) is not dict:
        return False
    re._cache = PrecompiledCache(re._cache, programs)  # type: ignore[attr-defined]
    return True
