"""PyYAML, imported without the most expensive line of its import.

``import yaml`` runs ``yaml/reader.py``, whose ``Reader`` class compiles the regular expression of the
characters YAML refuses (``NON_PRINTABLE``). Written as the characters YAML *accepts* (``[^...]``, two
ranges of thousands of code points), the pattern makes Python's regex compiler fill in a 65,536-entry
table one code point at a time, in Python: 69 million instructions, a tenth of a bare ``import boto3``
and most of what PyYAML costs the ingest function's cold start (docs/benchmarks.md, cold start).

The same set, written as the characters YAML refuses (a few short ranges), compiles in 5 million. It is
placed in the ``re`` module's cache under PyYAML's spelling just before PyYAML is imported, so that
``Reader`` gets it from there instead of compiling its own: the same check, the same error on the same
character (tests/test_pyyaml.py compares the two over every code point, and fails if PyYAML's pattern
ever changes). If the cache is not where this Python keeps it, or PyYAML was already imported, nothing
changes but the cost.
"""

import re

# yaml/reader.py (PyYAML 6.0): Reader.NON_PRINTABLE, as it is written there.
PYYAML_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
# Its complement in U+0000..U+10FFFF: C0 controls but tab, LF and CR; DEL and the C1 controls but NEL;
# the surrogates; U+FFFE and U+FFFF.
NON_PRINTABLE = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"


def _seed_regex_cache() -> None:
    # re.compile looks a pattern up in _cache2 (Python 3.12+) or _cache (3.11) by (type, pattern, flags)
    cache = getattr(re, "_cache2", None)
    if not isinstance(cache, dict):
        cache = getattr(re, "_cache", None)
    if isinstance(cache, dict):
        cache.setdefault((str, PYYAML_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE))


_seed_regex_cache()

import yaml  # noqa: E402 (after the seed, on purpose)

__all__ = ["yaml"]
