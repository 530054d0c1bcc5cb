"""Related posts cost per new article vs a full all-pairs recomputation, at growing corpus sizes.

    .venv/bin/python bench/related_cost.py [--sizes 500,1000,2000,10000] [--measure 100]
                                           [--large 20news|synthetic] [--smoke] [--set NAME=VALUE ...]

For each size n: ingest n - m articles incrementally (not measured), then m more, measuring DynamoDB
items read/written (as the in-memory index counts them: one per item, a Query per item returned, a
stats snapshot per shard) and wall time per article. Then a full all-pairs recomputation over the same
n articles that scores exactly what ships: read every document, compute every pair's plain cosine (a
sparse matrix product with numpy/scipy from the ``bench`` extra, else a pure-Python inverted index that
takes hours at 10,000), each document's expanded vector from its nearest gated neighbours, then the
shipped pair score (plain + expanded cosine blend, tag, thread-title, topic and recency bonuses, the same gate)
for each document's best ``CANDIDATES``, and write every list.

Every article carries its automatic tags (``newsdrop.ingest.tagging.auto_tags``, as the ingest gives
them), at every size. Sizes up to 2,127 use the BBC corpus; larger sizes use 20 Newsgroups
(``../shared/data/20news-train.jsonl``, 11,236 posts; both read in place, in a seeded shuffled order)
or, with ``--large synthetic``, synthetic topical text (the corpus the 139.6 items/article at 10,000 of
the first version were measured on).

The articles' sentence embeddings come from bench/common.py's cache (``$NEWSDROP_EMBED_CACHE``), computed
with the model for the texts not there yet; the full recomputation leaves the embedding bonus out (it
changes no item count)."""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import BBC, add_engine_settings, apply_engine_settings, bbc_rows  # noqa: E402
from related_quality import auto_tagger, read_corpus, to_article, use_cached_embeddings  # noqa: E402

from newsdrop.related import engine as related  # noqa: E402


def synthetic_rows(n: int, seed: int = 7) -> list[dict]:
    """Topical fake news: 60 topics, each a Zipf mixture of its own words and a shared background."""
    rng = random.Random(seed)
    syll = ["ka", "lo", "mi", "ter", "son", "vel", "dra", "po", "ni", "gus", "ber", "tan", "ra", "quo", "fen"]

    def word() -> str:
        return "".join(rng.choice(syll) for _ in range(rng.randint(2, 4)))

    background = [word() for _ in range(3000)]
    topics = [[word() for _ in range(400)] for _ in range(60)]
    # cumulative weights once: choices() with plain weights re-adds all 3,000 of them for every word drawn
    # (the same draws either way)
    bg_w = list(itertools.accumulate(1 / (i + 1) for i in range(len(background))))
    tp_w = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(400)))
    rows = []
    for i in range(n):
        t = rng.randrange(len(topics))
        length = rng.randint(150, 600)
        words = [
            rng.choices(topics[t], cum_weights=tp_w)[0]
            if rng.random() < 0.3
            else rng.choices(background, cum_weights=bg_w)[0]
            for _ in range(length)
        ]
        title = " ".join(rng.choices(topics[t], cum_weights=tp_w, k=6))
        rows.append(
            {"id": f"synthetic/{i:06d}", "category": f"t{t}", "title": title, "body": " ".join(words)}
        )
    return rows


NEWS20 = BBC.parent / "20news-train.jsonl"


def corpus(n: int, large: str = "20news") -> list:
    if n <= 2127:
        rows = bbc_rows()
        random.Random(1).shuffle(rows)
        rows = rows[:n]
    elif large == "20news" and NEWS20.exists():
        rows = [r for r in read_corpus(NEWS20, "shuffle", 1) if r["body"].strip() and r["title"].strip()][:n]
    else:
        rows = synthetic_rows(n)
    tagger = auto_tagger()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    arts = []
    for i, row in enumerate(rows):
        a = to_article(row, tagger)
        arts.append(replace(a, published=start + timedelta(hours=i)))
    return arts


def _plain_candidates_python(vecs: dict[str, dict[str, float]], docs: dict) -> dict[str, dict[str, float]]:
    """Each document's best ``CANDIDATES`` by plain cosine (an in-memory inverted index, all pairs)."""
    postings: dict[str, list[tuple[str, float]]] = {}
    for s, v in vecs.items():
        for t, w in v.items():
            postings.setdefault(t, []).append((s, w))
    out = {}
    for s, v in vecs.items():
        acc: dict[str, float] = {}
        for t, w in v.items():
            for o, ow in postings[t]:
                acc[o] = acc.get(o, 0.0) + w * ow
        acc.pop(s, None)
        best = heapq.nlargest(related.CANDIDATES, acc, key=lambda o: (acc[o], o))
        out[s] = {o: acc[o] for o in best}
    return out


def _plain_candidates_sparse(vecs: dict[str, dict[str, float]], docs: dict) -> dict[str, dict[str, float]]:
    """The same with a sparse matrix product (numpy/scipy, from the bench extra): the pure-Python all
    pairs take hours at 10,000. Same cosines up to float summation order."""
    import numpy as np
    from scipy import sparse

    slugs = list(vecs)
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, s in enumerate(slugs):
        for t, w in vecs[s].items():
            rows.append(i)
            cols.append(vocab.setdefault(t, len(vocab)))
            vals.append(w)
    m = sparse.csr_matrix((vals, (rows, cols)), shape=(len(slugs), len(vocab)))
    out = {}
    k = related.CANDIDATES
    for start in range(0, len(slugs), 500):
        block = (m[start : start + 500] @ m.T).toarray()
        for i, row in enumerate(block):
            row[start + i] = 0.0
            nonzero = np.flatnonzero(row > 0)
            if len(nonzero) > k:
                nonzero = nonzero[np.argpartition(-row[nonzero], k - 1)[:k]]
            acc = {slugs[j]: float(row[j]) for j in nonzero}
            best = heapq.nlargest(k, acc, key=lambda o: (acc[o], o))
            out[slugs[start + i]] = {o: acc[o] for o in best}
    return out


def full_recompute(articles: list, index: related.InMemoryRelatedIndex) -> tuple[int, int, float]:
    """All pairs, scored as shipped: read every doc, every pair's plain cosine, every expanded vector,
    the shipped score (expansion blend, tag, thread-title, topic and recency bonuses, the same gate; the
    topic model the incremental run fitted) for each
    document's best candidates, write every list."""
    t0 = time.perf_counter()
    stats = related.current_stats(index)
    docs = index.get_docs([a.slug for a in articles])
    reads = len(docs) + 1
    vecs = {s: related.weigh(d.tf, stats) for s, d in docs.items()}
    try:
        candidates = _plain_candidates_sparse(vecs, docs)
    except ImportError:
        candidates = _plain_candidates_python(vecs, docs)
    plain: dict[str, dict[str, float]] = {}
    expanded: dict[str, dict[str, float]] = {}
    for s, best in candidates.items():
        gated = {
            o: c for o, c in best.items() if c + related._tag_bonus(docs[s], docs[o]) >= related.MIN_SCORE
        }
        plain[s] = gated
        near = heapq.nlargest(related.EXPAND_NEIGHBOURS, gated, key=lambda o: (gated[o], o))
        expanded[s] = related._expanded(vecs[s], [vecs[o] for o in near]) if near else vecs[s]
    lists = {}
    for s, gated in plain.items():
        scored = {
            o: related.pair_score(
                docs[s],
                docs[o],
                base,
                related._dot(expanded[s], expanded[o]),
                related._tag_bonus(docs[s], docs[o])
                + related._title_bonus(docs[s], docs[o], stats)
                + related._topic_bonus(docs[s], docs[o], stats),
            )
            for o, base in gated.items()
        }
        lists[s] = sorted(scored, key=lambda o: (-scored[o], o))[: related.LIST_SIZE]
    writes = len(lists)
    return reads, writes, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="500,1000,2000,10000")
    ap.add_argument("--measure", type=int, default=100)
    ap.add_argument("--large", choices=("20news", "synthetic"), default="20news", help="text above 2,127")
    ap.add_argument("--smoke", action="store_true", help="CI: one size of 100 articles, 10 measured")
    add_engine_settings(ap)
    args = ap.parse_args()
    apply_engine_settings(ap, args.set)
    if args.smoke:
        args.sizes, args.measure = "100", 10
    print(
        f"{'corpus':>7} | {'reads/art':>9} {'writes/art':>10} {'items/art':>9} {'ms/art':>7} | "
        f"{'full items':>10} {'full s':>8} | {'items %':>7} {'time %':>7}"
    )
    for n in (int(x) for x in args.sizes.split(",")):
        arts = corpus(n, args.large)
        if related.SEMANTIC_WEIGHT:  # each text embedded once, ever (bench/common.py's cache)
            use_cached_embeddings(arts, "cost")
        m = min(args.measure, n // 5)
        index = related.InMemoryRelatedIndex()
        refits = []  # (articles, items, seconds) of each update that fitted the topic model
        for i, a in enumerate(arts[: n - m], 1):
            fit = index.stats[index.head.version].topics_fit
            items, t0 = index.reads + index.writes, time.process_time()
            related.update_for_article(index, a)
            if index.stats[index.head.version].topics_fit != fit:
                refits.append((i, index.reads + index.writes - items, time.process_time() - t0))
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
        # A fit (and the refresh of the lists it read) happens once per doubling of the corpus: its items
        # are spread over the articles until the next one, on top of the figures above.
        for i, items, seconds in refits:
            print(f"    refit at article {i}: {items} items in that update, {seconds:.1f} s CPU", flush=True)
        if refits:
            i, items, _ = refits[-1]
            spread = i * (related.TOPIC_REFIT - 1)
            print(
                f"    last refit spread over the {spread:.0f} articles to the next: {items / spread:.1f} items/article"
            )


if __name__ == "__main__":
    main()
