"""Related posts cost per new article vs a full all-pairs recomputation, at growing corpus sizes.

    .venv/bin/python bench/related_cost.py [--sizes 500,1000,2000,10000] [--measure 100]

For each size n: ingest n - m articles incrementally (not measured), then m more, measuring DynamoDB
items read/written (as the in-memory index counts them: one per item, a Query per item returned, a
stats snapshot per shard) and wall time per article. Then a full all-pairs recomputation over the same
n articles: read every document, score every pair exactly (the same vectors, cosine + bonuses, via an
in-memory inverted index), write every list. Sizes up to 2,000 use the BBC corpus (read in place, in a
seeded shuffled order); larger sizes use synthetic topical text."""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import bbc_rows  # noqa: E402
from related_quality import to_article  # noqa: E402

from newsdrop.related import engine as related  # noqa: E402


def synthetic_rows(n: int, seed: int = 7) -> list[dict]:
    """Topical fake news: 60 topics, each a Zipf mixture of its own words and a shared background."""
    rng = random.Random(seed)
    syll = ["ka", "lo", "mi", "ter", "son", "vel", "dra", "po", "ni", "gus", "ber", "tan", "ra", "quo", "fen"]

    def word() -> str:
        return "".join(rng.choice(syll) for _ in range(rng.randint(2, 4)))

    background = [word() for _ in range(3000)]
    topics = [[word() for _ in range(400)] for _ in range(60)]
    bg_w = [1 / (i + 1) for i in range(len(background))]
    tp_w = [1 / (i + 1) ** 0.8 for i in range(400)]
    rows = []
    for i in range(n):
        t = rng.randrange(len(topics))
        length = rng.randint(150, 600)
        words = [
            rng.choices(topics[t], tp_w)[0] if rng.random() < 0.3 else rng.choices(background, bg_w)[0]
            for _ in range(length)
        ]
        title = " ".join(rng.choices(topics[t], tp_w, k=6))
        rows.append(
            {"id": f"synthetic/{i:06d}", "category": f"t{t}", "title": title, "body": " ".join(words)}
        )
    return rows


def corpus(n: int) -> list:
    if n <= 2127:
        rows = bbc_rows()
        random.Random(1).shuffle(rows)
        rows = rows[:n]
    else:
        rows = synthetic_rows(n)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    arts = []
    for i, row in enumerate(rows):
        a = to_article(row)
        arts.append(a.model_copy(update={"published": start + timedelta(hours=i)}))
    return arts


def full_recompute(articles: list, index: related.InMemoryRelatedIndex) -> tuple[int, int, float]:
    """All pairs, exactly: read every doc, score every pair, write every list."""
    t0 = time.perf_counter()
    stats = related.current_stats(index)
    docs = index.get_docs([a.slug for a in articles])
    reads = len(docs) + 1
    vecs = {s: related.weigh(d.tf, stats) for s, d in docs.items()}
    postings: dict[str, list[tuple[str, float]]] = {}
    for s, v in vecs.items():
        for t, w in v.items():
            postings.setdefault(t, []).append((s, w))
    lists = {}
    for s, v in vecs.items():
        acc: dict[str, float] = {}
        for t, w in v.items():
            for o, ow in postings[t]:
                acc[o] = acc.get(o, 0.0) + w * ow
        acc.pop(s, None)
        best = heapq.nlargest(related.LIST_SIZE * 4, acc, key=acc.__getitem__)
        scored = {o: acc[o] + related._tag_bonus(docs[s], docs[o]) for o in best}
        lists[s] = sorted(scored, key=lambda o: -scored[o])[: related.LIST_SIZE]
    writes = len(lists)
    return reads, writes, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="500,1000,2000,10000")
    ap.add_argument("--measure", type=int, default=100)
    ap.add_argument("--smoke", action="store_true", help="100 articles, 10 measured (CI)")
    args = ap.parse_args()
    if args.smoke:
        args.sizes, args.measure = "100", 10
    print(
        f"{'corpus':>7} | {'reads/art':>9} {'writes/art':>10} {'items/art':>9} {'ms/art':>7} | "
        f"{'full items':>10} {'full s':>8} | {'items %':>7} {'time %':>7}"
    )
    for n in (int(x) for x in args.sizes.split(",")):
        arts = corpus(n)
        m = min(args.measure, n // 5)
        index = related.InMemoryRelatedIndex()
        for a in arts[: n - m]:
            related.update_for_article(index, a)
        index.reads = index.writes = 0
        t0 = time.perf_counter()
        for a in arts[n - m :]:
            related.update_for_article(index, a)
        ms = 1000 * (time.perf_counter() - t0) / m
        r, w = index.reads / m, index.writes / m
        fr, fw, fs = full_recompute(arts, index)
        print(
            f"{n:>7} | {r:>9.1f} {w:>10.1f} {r + w:>9.1f} {ms:>7.1f} | {fr + fw:>10} {fs:>8.1f} | "
            f"{100 * (r + w) / (fr + fw):>6.2f}% {100 * ms / 1000 / fs:>6.3f}%",
            flush=True,
        )


if __name__ == "__main__":
    main()
