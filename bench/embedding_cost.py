"""What the related function's sentence embedding costs: imports, model load, CPU per article, the layer's
size, and dollars per 1,000 articles on Lambda arm64.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/embedding_cost.py [--articles N] [--smoke]

CPU is process time (``time.process_time``), so a busy machine slows the wall clock, not the figures.
The BBC articles (title + body, as the engine embeds them: the first 256 tokens) are read in place.
The layer's size is measured on this machine's install of numpy and tokenizers (x86-64 wheels; the
arm64 ones are of the same order) plus the model's two files.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import bbc_rows  # noqa: E402

# AWS Lambda, arm64, us-east-1, first pricing tier: $0.0000133334 per GB-second, $0.20 per million requests
PRICE_GB_SECOND = 0.0000133334
PRICE_REQUEST = 0.20 / 1_000_000
MEMORY_MB = 1769  # RelatedFunction's (template.yaml): one vCPU


def installed_mb(distribution: str) -> float:
    files = metadata.distribution(distribution).files or []
    return sum(f.locate().stat().st_size for f in files if f.locate().is_file()) / 1e6


def embed_each(model, texts: list[str]) -> float:
    """CPU seconds an article, one article an invocation, as the related function embeds."""
    start = time.process_time()
    for text in texts:
        model.embed([text])
    return (time.process_time() - start) / len(texts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100)
    ap.add_argument("--smoke", action="store_true", help="CI: 5 articles")
    args = ap.parse_args(argv)
    n = 5 if args.smoke else args.articles
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        print("(OPENBLAS_NUM_THREADS is not 1: the function runs on one vCPU; set it for comparable figures)")

    t0 = time.process_time()
    import numpy  # noqa: F401
    import tokenizers  # noqa: F401

    t1 = time.process_time()
    from newsdrop.related import engine
    from newsdrop.related.embedding import MiniLM, model_dir

    model = MiniLM()
    t2 = time.process_time()
    rows = bbc_rows(n + 1)
    texts = [f"{r['title']}\n{r['body']}" for r in rows]
    model.embed([texts[0]])  # the first call pays for the pages of the weights it touches
    t3 = time.process_time()
    plain = embed_each(model, texts[1:])
    # As deployed: glibc keeps freed memory (template.yaml's Globals; newsdrop/local/allocator.py). Measured
    # after the defaults, in the same process: the settings cannot be undone once made.
    from newsdrop.local.allocator import keep_freed_memory

    tuned = keep_freed_memory()
    per_article = embed_each(model, texts[1:]) if tuned else plain

    files = {
        name: (model_dir() / name).stat().st_size / 1e6 for name in ("model.safetensors", "tokenizer.json")
    }
    libs = {name: installed_mb(name) for name in ("numpy", "tokenizers")}
    gb = MEMORY_MB / 1024
    dollars = 1000 * (per_article * gb * PRICE_GB_SECOND)
    print(f"imports (numpy, tokenizers): {1000 * (t1 - t0):.0f} ms CPU")
    print(f"model load (safetensors mapped, weights transposed): {1000 * (t2 - t1):.0f} ms CPU")
    print(f"first article after load: {1000 * (t3 - t2):.0f} ms CPU")
    print(
        f"CPU per article ({n} BBC articles, 256 tokens): {1000 * per_article:.0f} ms as deployed "
        f"({1000 * plain:.0f} ms with glibc's default allocator settings"
        + ("" if tuned else "; this C library is not glibc: nothing to tune")
        + ")"
    )
    print(
        "layer: "
        + ", ".join(f"{k} {v:.1f} MB" for k, v in {**files, **libs}.items())
        + f"; total {sum(files.values()) + sum(libs.values()):.1f} MB unzipped"
    )
    print(
        f"dollars per 1,000 articles embedded at {MEMORY_MB} MB, arm64 ${PRICE_GB_SECOND:.10f}/GB-s: "
        f"${dollars:.4f} (the related function's invocation is paid anyway: "
        f"${1000 * PRICE_REQUEST:.4f} per 1,000 requests)"
    )
    print(f"semantic weight in the engine: {engine.SEMANTIC_WEIGHT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
