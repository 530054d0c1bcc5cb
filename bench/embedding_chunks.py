"""Long articles: the first 256 tokens against the mean of every 256-token window, measured.

    .venv/bin/python bench/embedding_chunks.py [--corpus PATH] [--sample 500] [--limit 64] [--smoke]

Takes the fixed ``--sample`` of the corpus (``bench/related_quality.py``'s: the first N of the seed-0
shuffle), then the first ``--limit`` of a seed-0 shuffle of it, and embeds each article both ways
(bench/common.py's cache, ``$NEWSDROP_EMBED_CACHE``: nothing is computed twice). Prints, for each vector,
MiniLM-alone same-category P@5 among those articles (batch, brute force; raw cosine and centred on their
mean as the engine does) and the embedding CPU per article the run spent on each (0 when cached)."""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import BBC, cached_embeddings  # noqa: E402
from related_quality import accepted, ingest_articles, read_corpus  # noqa: E402

from newsdrop.related import engine as related  # noqa: E402
from newsdrop.related import semantic  # noqa: E402


def p_at_5(vectors, categories: list[str], centred: bool) -> float:
    import numpy as np

    x = vectors - vectors.mean(axis=0) if centred else vectors
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    top = np.argsort(-sims, axis=1)[:, :5]
    cats = np.asarray(categories)
    return float(np.mean([(cats[row] == cats[i]).mean() for i, row in enumerate(top)]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=BBC)
    ap.add_argument("--sample", type=int, default=500)
    ap.add_argument("--limit", type=int, default=64)
    ap.add_argument("--smoke", action="store_true", help="CI: 8 articles")
    args = ap.parse_args(argv)
    if args.smoke:
        args.limit = 8
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    rows = accepted(read_corpus(args.corpus, sample=args.sample))
    random.Random(0).shuffle(rows)
    rows = rows[: args.limit]
    articles = ingest_articles(rows)
    texts = [semantic.embedding_text(a.title, related.article_text(a)) for a in articles]
    categories = [r["category"] for r in rows]
    from newsdrop.related.embedding import MAX_TOKENS, default_model

    model = default_model()
    windows = [max(1, -(-(len(model.token_ids(t, truncate=False)) - 2) // (MAX_TOKENS - 2))) for t in texts]
    print(
        f"{len(rows)} articles of {args.corpus.name}: {sum(windows) / len(windows):.2f} windows of "
        f"{MAX_TOKENS} tokens on average, {sum(w > 1 for w in windows) / len(windows):.0%} longer than one"
    )
    for label, chunks in (("first 256 tokens", False), ("mean of the windows", True)):
        t0 = time.process_time()
        vectors = cached_embeddings(texts, args.corpus.stem, chunks=chunks, progress=False)
        cpu = 1000 * (time.process_time() - t0) / len(texts)
        raw, centred = p_at_5(vectors, categories, False), p_at_5(vectors, categories, True)
        print(
            f"{label:<22} MiniLM-alone P@5 raw {raw:.4f} centred {centred:.4f}  ({cpu:.0f} ms CPU/article this run)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
