"""Helpers shared by the benchmarks: DynamoDB item counting and the BBC corpus, read in place."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

BBC = Path(__file__).resolve().parents[2] / "shared" / "data" / "bbc-news.jsonl"


def add_engine_settings(parser) -> None:
    """``--set NAME=VALUE`` (repeatable): run with a numeric constant of ``newsdrop.related.engine`` changed."""
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="change an engine constant (tuning)"
    )


def apply_engine_settings(parser, items: list[str]) -> None:
    """Set each constant in every part of the related engine that holds it (``engine`` re-exports the
    constants of ``text``, ``records`` and ``topics``; each part reads its own)."""
    import importlib

    from newsdrop.related import engine

    parts = [engine] + [
        importlib.import_module(f"newsdrop.related.{name}")
        for name in ("text", "records", "topics", "semantic")
    ]
    for item in items:
        name, _, value = item.partition("=")
        current = getattr(engine, name, getattr(parts[-1], name, None))
        if not (name.isupper() and isinstance(current, int | float)):
            parser.error(f"--set {item}: {name} is not a numeric constant of newsdrop.related")
        try:
            typed = type(current)(value)
        except ValueError:
            parser.error(f"--set {item}: {value!r} is not a {type(current).__name__}")
        for part in parts:
            if hasattr(part, name):
                setattr(part, name, typed)
    if items:
        print("engine constants changed:", " ".join(items), flush=True)


def bbc_rows(limit: int | None = None) -> list[dict[str, Any]]:
    """The BBC articles beside the checkout (copyrighted: read here, never copied into the repo)."""
    rows = []
    with BBC.open() as f:
        for line in f:
            rows.append(json.loads(line))
            if limit and len(rows) >= limit:
                break
    return rows


class DynamoDBCounter:
    """Items read and written through every boto3 DynamoDB client of the default session (the handlers'
    module-level clients included), counted from the requests and responses as DynamoDB bills them."""

    def __init__(self, session: boto3.session.Session | None = None):
        self.reads = 0
        self.writes = 0
        self.calls: Counter[str] = Counter()
        session = session or boto3._get_default_session()
        # Register before the clients are made: a client copies its session's handlers when created.
        session.events.register("provide-client-params.dynamodb", self._remember_params)
        session.events.register("after-call.dynamodb", self._after_call)

    @staticmethod
    def _remember_params(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        context["bench_params"] = params

    def reset(self) -> None:
        self.reads = self.writes = 0
        self.calls.clear()

    def _after_call(self, http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        op = model.name
        self.calls[op] += 1
        params = kwargs.get("context", {}).get("bench_params", {}) or {}
        if op in ("GetItem",):
            self.reads += 1
        elif op in ("Query", "Scan"):
            self.reads += max(1, parsed.get("ScannedCount", parsed.get("Count", 0)))
        elif op == "BatchGetItem":
            self.reads += sum(len(v) for v in parsed.get("Responses", {}).values())
        elif op == "TransactGetItems":
            self.reads += len(parsed.get("Responses", []))
        elif op in ("PutItem", "UpdateItem", "DeleteItem"):
            self.writes += 1
        elif op == "BatchWriteItem":
            sent = sum(len(v) for v in params.get("RequestItems", {}).values())
            left = sum(len(v) for v in parsed.get("UnprocessedItems", {}).values())
            self.writes += sent - left
        elif op == "TransactWriteItems":
            self.writes += len(params.get("TransactItems", []))


# --- sentence embeddings, computed once per text and cached outside the repository -----------------------
EMBED_CACHE = Path(os.environ.get("NEWSDROP_EMBED_CACHE", Path.home() / ".cache" / "newsdrop-embeddings"))


def cached_embeddings(texts: list[str], name: str, *, chunks: bool = False, progress: bool = True):
    """all-MiniLM-L6-v2 vectors of ``texts`` (float32 rows), from ``$NEWSDROP_EMBED_CACHE/<name>.npz``
    when already computed there. Keyed by the token ids the model reads, so two texts that tokenize
    alike share a vector. ``chunks``: the mean of the vectors of every 256-token window instead of the
    first window only (the measured alternative for long articles)."""
    import hashlib
    import time

    import numpy as np

    from newsdrop.related.embedding import default_model
    from newsdrop.related.semantic import embed_token_ids

    model = default_model()
    kind = "-chunks" if chunks else ""
    path = EMBED_CACHE / f"{name}{kind}.npz"
    known: dict[str, np.ndarray] = {}
    for other in sorted(EMBED_CACHE.glob("*.npz")):  # every corpus's: the keys are token ids
        if other.stem.endswith("-chunks") == chunks and not other.stem.endswith(".tmp"):
            with np.load(other) as z:
                known.update(zip(z["keys"].tolist(), z["vectors"], strict=True))
    ids = [model.token_ids(t, truncate=False) for t in texts]
    keys = [hashlib.sha256(np.asarray(i, dtype=np.int32).tobytes()).hexdigest()[:24] for i in ids]
    todo = sorted({k: i for k, i in zip(keys, ids, strict=True) if k not in known}.items())
    t0 = time.process_time()
    for start in range(0, len(todo), 64):
        block = todo[start : start + 64]
        vectors = embed_token_ids(model, [i for _, i in block], chunks=chunks)
        known.update(zip([k for k, _ in block], vectors, strict=True))
        EMBED_CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
        tmp.replace(path)
        if progress:
            done = start + len(block)
            cpu = (time.process_time() - t0) / done
            print(
                f"  ... embedded {done}/{len(todo)} ({1000 * cpu:.0f} ms CPU each)",
                file=sys.stderr,
                flush=True,
            )
    return np.stack([known[k] for k in keys]) if keys else np.zeros((0, 384), dtype=np.float32)
