"""bench/fanout.py's World (moto tables, queues and the five notification handlers), shared by the
fan-out and subscriber tests so that the benchmark and the tests drive the same harness."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("newsdrop_bench_fanout", ROOT / "bench" / "fanout.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load()
