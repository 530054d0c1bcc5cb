"""The semantic neighbour index at a whole corpus's size: how full its buckets are, and how many of each
article's 5 nearest neighbours (the engine's centred cosine, brute force) it hands the engine, for each
bucket cap.

    NEWSDROP_EMBED_CACHE=<cache> OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/semantic_index.py \\
        [--corpus ../shared/data/20news-train.jsonl] [--caps 100,300] [--queries 1000] [--smoke]

Every accepted article is filed in its buckets as the engine files it (``semantic.buckets``, each bucket
capped by ``engine._heaviest``), all at once: the index as it stands at the end of a run, whatever the
order. Each query then reads its probed buckets and takes ``SEMANTIC_CANDIDATES`` by signature
(``semantic.bucket_neighbours``), exactly as an update does. The engine's own runs
(``bench/related_quality.py --recall``) measure the same thing for the first articles of a run, and the
P@5 it leads to; this one is minutes instead of tens of minutes, for choosing the cap.

A bucket item's size is its JSON as the store writes it; DynamoDB charges a read per 4 KB and a write per
1 KB of an item."""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import BBC  # noqa: E402
from related_quality import accepted, ingest_articles, read_corpus, use_cached_embeddings  # noqa: E402

from newsdrop.related import engine, semantic  # noqa: E402

SMOKE = 60


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=BBC)
    ap.add_argument("--caps", default="100,300", help="bucket caps to compare (comma-separated)")
    ap.add_argument("--queries", type=int, default=1000, help="articles queried (a fixed random sample)")
    ap.add_argument("--smoke", action="store_true", help=f"CI: the first {SMOKE} BBC articles")
    args = ap.parse_args(argv)
    import numpy as np

    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    rows = accepted(read_corpus(args.corpus, "file", 0, SMOKE if args.smoke else None, None))
    articles = ingest_articles(rows)
    vectors = use_cached_embeddings(articles, args.corpus.stem)
    packed = [semantic.pack(v) for v in vectors]
    slugs = [a.slug for a in articles]
    n = len(slugs)
    # the centre every article is scored against once the whole corpus is folded
    unit = np.stack([semantic.unpack(p) for p in packed])
    centred = unit - unit.mean(axis=0)
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    queries = np.random.default_rng(0).choice(n, min(args.queries, n), replace=False)
    sims = centred[queries] @ centred.T
    sims[np.arange(len(queries)), queries] = -np.inf
    truth = [set(np.argpartition(-row, 5)[:5]) for row in sims]
    filed: dict[str, list[tuple]] = defaultdict(list)
    for slug, p in zip(slugs, packed, strict=True):
        sig = semantic.signature(p)
        for term, weight in semantic.buckets(p).items():
            filed[term].append((slug, weight, sig))
    position = {s: i for i, s in enumerate(slugs)}
    sizes = sorted(len(v) for v in filed.values())
    print(
        f"corpus {args.corpus.name}: {n} articles, {len(filed)} buckets holding {sizes[0]} to {sizes[-1]} "
        f"articles (median {sizes[len(sizes) // 2]}) before the cap; {len(queries)} queries, "
        f"{engine.SEMANTIC_CANDIDATES} candidates each",
        flush=True,
    )
    for cap in (int(c) for c in args.caps.split(",")):
        semantic.BUCKET_CAP = cap
        postings = {term: engine._heaviest(plist, term) for term, plist in filed.items()}
        found = 0
        for q, near in zip(queries, truth, strict=True):
            probes = semantic.probes(packed[q])
            got = semantic.bucket_neighbours(
                {t: postings.get(t, []) for t in probes}, probes, packed[q], slugs[q], set(),
                engine.SEMANTIC_CANDIDATES,
            )  # fmt: skip
            found += len(near & {position[s] for s in got})
        item_bytes = max(len(json.dumps([list(e) for e in plist])) for plist in postings.values())
        print(
            f"bucket cap {cap:>4}: recall@5 {found / (5 * len(queries)):.3f}; largest bucket item "
            f"{item_bytes / 1024:.1f} KB ({-(-item_bytes // 4096)} read units, {-(-item_bytes // 1024)} write units)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
