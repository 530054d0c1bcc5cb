"""A new article's incremental related update at 10,000, 50,000 and 100,000 articles, in memory.

    .venv/bin/python bench/related_scale.py [--sizes 10000,50000,100000] [--updates 100] [--smoke]

For each size N an index of N synthetic articles (60 topics, 150 to 600 words, one topic tag each) is
built as the canonical replay leaves it, then the next ``--updates`` articles are indexed one by one by
the shipped ``update_for_article``, each measured: CPU and the DynamoDB items it reads and writes (as
``InMemoryRelatedIndex`` counts them). Twice: as generated, and with one tag ("hot") on 30% of all the
articles, old and new. The per-update figures should not grow with N (docs/archive.md).

How the index is built, so that 100,000 articles take minutes, not the ~14 hours of a replay:
- the statistics are replayed exactly (``windows.replay_statistics``: every fold and topic fit the replay
  makes, without scoring), and each document keeps the frequencies of its own time;
- every document is posted by the engine's own ``_post`` with the statistics at N (the replay posts it
  with those of its time: the postings are of the same size, their weights a little different);
- the lists start empty, so every offer of a measured update enters its candidate's list: an upper bound
  of the writes a real index (whose lists are full) would take;
- the sentence embedding is a stand-in (a fixed random vector a word, summed): the model's inference is
  a constant per article, measured by bench/embedding_cost.py; the stand-in gives the buckets the same
  topical structure, so semantic candidates are read as they would be.

Also printed: the CPU of one topic fit at N (``fit_topics`` on the last ``TOPIC_FIT_DOCS`` articles), which
the replay runs each time the corpus doubles: bounded by that constant, not by N."""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import time
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from related_quality import to_article  # noqa: E402

from newsdrop.ingest.tagging import normalize_tags  # noqa: E402
from newsdrop.related import engine, records, semantic, windows  # noqa: E402
from newsdrop.related.engine import InMemoryRelatedIndex, StatsHead, TermStats, order_key  # noqa: E402

HOT_SHARE = 0.3


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rows(n: int, seed: int = 7) -> list[dict]:
    """Topical synthetic text of the shape of bench/related_cost.py's (60 topics of 400 words over 3,000
    background words, both Zipf-distributed, 30% topic words), drawn with cumulative weights so that
    100,000 articles take seconds. Words are three-syllable spellings of their number: all distinct."""
    rng = random.Random(seed)
    syllables = ["ba", "de", "fi", "go", "ku", "la", "me", "no", "pi", "ru", "sa", "te", "vo", "zu", "xi"]

    def spelled(i: int) -> str:
        return "".join(syllables[i // 15**k % 15] for k in range(3)) + syllables[i // 3375]

    background = [spelled(i) for i in range(3000)]
    topics = [[spelled(3000 + 400 * t + j) for j in range(400)] for t in range(60)]
    bg_cum = np.cumsum([1 / (i + 1) for i in range(3000)]).tolist()
    tp_cum = np.cumsum([1 / (i + 1) ** 0.8 for i in range(400)]).tolist()
    out = []
    for i in range(n):
        t = rng.randrange(60)
        length = rng.randint(150, 600)
        own = sum(rng.random() < 0.3 for _ in range(length))
        words = rng.choices(topics[t], cum_weights=tp_cum, k=own)
        words += rng.choices(background, cum_weights=bg_cum, k=length - own)
        rng.shuffle(words)
        title = " ".join(rng.choices(topics[t], cum_weights=tp_cum, k=6))
        out.append({"id": f"synthetic/{i:06d}", "category": f"t{t}", "title": title, "body": " ".join(words)})
    return out


class StandIn:
    """A fixed random vector per word, summed: topical like the model's vectors, at numpy speed."""

    def __init__(self) -> None:
        self.vectors: dict[str, np.ndarray] = {}

    def __call__(self, text: str) -> np.ndarray:
        acc = np.zeros(384, dtype=np.float32)
        for w in text.split():
            v = self.vectors.get(w)
            if v is None:
                rng = np.random.default_rng(zlib.crc32(w.encode()))
                v = self.vectors[w] = rng.standard_normal(384).astype(np.float32)
            acc += v
        return acc / (np.linalg.norm(acc) or 1.0)


def build(stats: TermStats, docs: dict, articles: dict, hot: set[str]) -> InMemoryRelatedIndex:
    index = InMemoryRelatedIndex()
    index.stats = {stats.version: stats}
    index.head = StatsHead(stats.version, 0)
    for slug, doc in docs.items():
        article = articles[slug]
        emb = semantic.article_vector(article.title, engine.article_text(article))
        doc = replace(doc, emb=emb, tags=sorted({*doc.tags, *(["hot"] if slug in hot else [])}))
        engine._post(index, doc, engine.weigh(doc.tf, stats), {})
        index.docs[slug] = doc
    index.newest = max(order_key(d.published, d.slug) for d in index.docs.values())
    return index


def variant(built: InMemoryRelatedIndex, with_hot: bool) -> InMemoryRelatedIndex:
    """A fresh copy of the built index to measure on (the postings shared until an update replaces one of
    their lists), its documents with or without the "hot" tag, its caches cold."""
    index = InMemoryRelatedIndex()
    index.stats, index.head, index.newest = built.stats, StatsHead(built.head.version, 0), built.newest
    index.postings = dict(built.postings)
    index.docs = {
        s: d if with_hot else replace(d, tags=[t for t in d.tags if t != "hot"])
        for s, d in built.docs.items()
    }
    built.stats[built.head.version]._vectors.clear()
    records._TOPIC_VECTORS.clear()
    engine._TITLE_TERMS.clear()
    return index


def measure(index: InMemoryRelatedIndex, new: list) -> tuple[list[float], list[int], list[int]]:
    # On Lambda the index is in DynamoDB, and an update's heap holds only what it read. Here the whole
    # index is in this process's heap (5 GB at 100,000 articles): a full collection that walks it during a
    # measured update would charge that update seconds Lambda never pays, at whichever update it falls.
    gc.collect()
    gc.freeze()
    try:
        ms, reads, writes = [], [], []
        for article in new:
            r, w, started = index.reads, index.writes, cpu()
            engine.update_for_article(index, article)
            ms.append(1000 * (cpu() - started))
            reads.append(index.reads - r)
            writes.append(index.writes - w)
        return ms, reads, writes
    finally:
        gc.unfreeze()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--smoke", action="store_true", help="300 and 600 articles, 5 updates")
    args = parser.parse_args()
    targets = [300, 600] if args.smoke else [int(s) for s in args.sizes.split(",")]
    updates = 5 if args.smoke else args.updates
    folds = windows.fold_positions(max(targets) * 2 + 10_000)
    sizes = [min(p for p in folds if p >= t) for t in targets]  # a size is a fold position: exact statistics
    semantic.vector_source = StandIn()
    total = max(sizes) + updates
    started = datetime(2005, 1, 1, tzinfo=UTC)
    rng = random.Random(11)
    print(
        f"related update at {', '.join(f'{s:,}' for s in sizes)} synthetic articles, {updates} updates each"
    )
    print(
        f"{'articles':>9} {'tag on 30%':>10} {'CPU ms (mean, p90)':>19} {'items read':>10} {'written':>8} {'fit s':>6}"
    )
    arts, hot = [], set()
    for i, row in enumerate(rows(total)):
        a = to_article(row)
        if rng.random() < HOT_SHARE:
            hot.add(a.slug)
        tags = [row["category"], *(["hot"] if a.slug in hot else [])]
        arts.append(replace(a, published=started + timedelta(hours=i), editor_tags=normalize_tags(tags)))
    by_slug = {a.slug: a for a in arts}
    stats, docs, done = TermStats(), {}, 0
    for size in sizes:
        t0 = cpu()
        stats, more = windows.replay_statistics(stats, arts[done:size], keep_all=True)
        docs.update(more)
        done = size
        fit_started = cpu()
        engine.fit_topics([engine._unigram_vector(docs[s].tf, stats) for s in stats.recent])
        fit = cpu() - fit_started
        print(
            f"  (statistics replayed to {size:,}: {fit_started - t0:.0f} s CPU)", file=sys.stderr, flush=True
        )
        built = build(stats, docs, by_slug, hot)
        for with_hot in (False, True):
            index = variant(built, with_hot)
            new = [
                a if with_hot else replace(a, editor_tags=[t for t in a.editor_tags if t.key != "hot"])
                for a in arts[size : size + updates]
            ]
            ms, reads, writes = measure(index, new)
            p90 = sorted(ms)[int(0.9 * (len(ms) - 1))]
            print(
                f"{size:>9,} {'yes' if with_hot else 'no':>10} {statistics.mean(ms):>10.1f}, {p90:>6.1f} "
                f"{statistics.mean(reads):>10.1f} {statistics.mean(writes):>8.1f} {fit:>6.1f}",
                flush=True,
            )
    print(
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, {time.process_time():.0f} s CPU"
    )


if __name__ == "__main__":
    main()
