"""glibc's allocator, tuned for the local stack as template.yaml's Globals tune it on Lambda.

By default glibc serves every block over 128 KB (rising with what was freed, up to 32 MB) with its own
mmap, and hands the top of the heap back to the kernel once 128 KB of it is free. The embedding's
forward pass (tens of MB of activations a batch) and the local stack's large strings and responses
allocate and free such blocks all the time, so each one is faulted in again, page by page, and zeroed by
the kernel. Keeping freed memory in the process instead, measured (docs/archive.md, "On this machine"):
the embedding's CPU an article falls by about a quarter, and a local archive run's CPU by about a sixth.
A Lambda sandbox's memory is its own, so nothing is lost by never handing it back; on Lambda, glibc
reads the same settings from the environment at start (template.yaml, Globals).
"""

from __future__ import annotations

import ctypes
import os

# The largest mmap threshold glibc accepts on 64-bit; the trim threshold above the heap's working size.
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 512 * 1024 * 1024
ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD), "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}

_M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3


def keep_freed_memory() -> bool:
    """Tune this process (it has started: glibc read its environment already) and the processes it starts
    (the embedding's workers inherit the environment). False where the C library is not glibc."""
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # macOS, musl: another allocator, nothing to tune
        return False
    mmap = int(os.environ["MALLOC_MMAP_THRESHOLD_"])
    trim = int(os.environ["MALLOC_TRIM_THRESHOLD_"])
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap)) and bool(mallopt(_M_TRIM_THRESHOLD, trim))
