"""glibc's allocator keeps freed memory, locally (``newsdrop`` commands) as on Lambda (template.yaml): the
embedding's activations are not faulted in again, page by page, for every batch. Counted in page faults,
which the machine's speed and load do not change."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from newsdrop.local.allocator import ENVIRONMENT, keep_freed_memory
from newsdrop.local.sam import _CfnLoader

ROOT = Path(__file__).resolve().parents[1]

EMBED = """
import json, resource, sys
if sys.argv[1] == "tuned":
    from newsdrop.local.allocator import keep_freed_memory
    assert keep_freed_memory()
from newsdrop.related.embedding import default_model
model = default_model()
texts = [f"Article {n}: " + "the council voted on the new harbour budget after a long debate. " * 40 for n in range(32)]
model.embed(texts[:16])  # the model's own first allocations are not what is measured
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
model.embed(texts)
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before))
"""


def _faults(mode: str) -> int:
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "shared")}
    out = subprocess.run(
        [sys.executable, "-c", EMBED, mode], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_the_embedding_no_longer_faults_its_activations_in_again_for_every_batch():
    plain, tuned = _faults("plain"), _faults("tuned")
    assert tuned * 3 < plain, (plain, tuned)


def test_lambda_gets_the_same_settings_as_the_local_stack():
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=_CfnLoader)  # noqa: S506 (safe subclass)
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert {name: variables.get(name) for name in ENVIRONMENT} == ENVIRONMENT


def test_the_settings_reach_the_processes_a_command_starts(monkeypatch):
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    keep_freed_memory()
    names = sorted(ENVIRONMENT)
    probe = f"import os, json; print(json.dumps({{n: os.environ.get(n) for n in {names!r}}}))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(out.stdout) == ENVIRONMENT
