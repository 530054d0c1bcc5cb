"""How far the windowed reindex's lists are from the exact replay's (newsdrop.related.windows).

    .venv/bin/python bench/archive_windows.py [--articles 2127] [--window 500] [--warmup 500] [--smoke]

The BBC corpus (``../shared/data/bbc-news.jsonl``, read in place, in a seeded shuffled order so that
subjects interleave in time as a newsroom's do; one article an hour, its category its tag) is reindexed
twice: by the exact sequential replay (``engine.reindex_all``) and by windows of ``--window`` articles
with ``--warmup`` articles replayed before each (``windows.windowed_reindex``). A million articles in
windows of 5,000 + 5,000 are 200 windows; 2,127 in windows of 500 + 500 are 5, with the same share of
the archive in each window's reach, and so the harder case: at a million, a window's reach is 10,000
articles, months of a newsroom's output.

Printed: which item kinds are equal (statistics, postings, documents' frequencies are, by construction),
the lists equal entry for entry, the share of the exact lists' entries the windowed lists hold, and the
CPU of each."""

from __future__ import annotations

import argparse
import random
import resource
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import bbc_rows  # noqa: E402
from related_quality import to_article, use_cached_embeddings  # noqa: E402

from newsdrop.ingest.tagging import normalize_tags  # noqa: E402
from newsdrop.related import windows  # noqa: E402
from newsdrop.related.engine import InMemoryRelatedIndex, reindex_all  # noqa: E402
from newsdrop.related.store import canonical_items  # noqa: E402


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def kind(key: tuple[str, str]) -> str:
    pk, sk = key
    if pk.startswith("DOC#"):
        return sk  # DOC, RELATED, HOLDERS
    return pk.split("#")[0] if pk != "STATS#DELTA" else "DELTA"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2127)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--smoke", action="store_true", help="120 articles, windows of 50 + 30")
    parser.add_argument(
        "--stand-in", action="store_true", help="bench/related_scale.py's stand-in vectors, not the model's"
    )
    args = parser.parse_args()
    n, size, warmup = (120, 50, 30) if args.smoke else (args.articles, args.window, args.warmup)
    args.stand_in = args.stand_in or args.smoke  # CI has no vectors cached
    rows = bbc_rows()
    random.Random(1).shuffle(rows)
    start = datetime(2005, 1, 1, tzinfo=UTC)
    articles = [
        replace(
            to_article(r), published=start + timedelta(hours=i), editor_tags=normalize_tags([r["category"]])
        )
        for i, r in enumerate(rows[:n])
    ]
    if args.stand_in:
        from related_scale import StandIn

        from newsdrop.related import semantic

        semantic.vector_source = StandIn()
    else:
        use_cached_embeddings(articles, "bbc")  # the model's vectors, computed once (bench/common.py's cache)
    print(f"{n:,} BBC articles: exact replay against windows of {size:,} + {warmup:,} warm-up", flush=True)
    started = cpu()
    exact = InMemoryRelatedIndex()
    reindex_all(exact, articles)
    exact_cpu = cpu() - started
    started = cpu()
    windowed = windows.windowed_reindex(articles, size, warmup)
    windowed_cpu = cpu() - started
    a, b = canonical_items(exact), canonical_items(windowed)
    counts: dict[str, list[int]] = {}
    for key in set(a) | set(b):
        c = counts.setdefault(kind(key), [0, 0, 0])
        c[0] += key in a
        c[1] += key in b
        c[2] += key in a and a.get(key) == b.get(key)
    print(
        "  items (exact / windowed / equal): "
        + ", ".join(f"{k} {v[0]}/{v[1]}/{v[2]}" for k, v in sorted(counts.items()))
    )
    tf_equal = all(exact.docs[s].tf == windowed.docs[s].tf for s in exact.docs)
    print(
        f"  documents' frequencies equal: {tf_equal}; postings equal: {exact.postings == windowed.postings}"
    )
    slugs = sorted(exact.docs)
    equal = sum(exact.lists.get(s, []) == windowed.lists.get(s, []) for s in slugs)
    wanted = sum(len(exact.lists.get(s, [])) for s in slugs)
    held = sum(
        len({e.slug for e in exact.lists.get(s, [])} & {e.slug for e in windowed.lists.get(s, [])})
        for s in slugs
    )
    same_tag = sum(
        1
        for s in slugs
        for e in windowed.lists.get(s, [])
        if set(windowed.docs[e.slug].tags) & set(windowed.docs[s].tags)
    )
    exact_tag = sum(
        1
        for s in slugs
        for e in exact.lists.get(s, [])
        if set(exact.docs[e.slug].tags) & set(exact.docs[s].tags)
    )
    entries = sum(len(windowed.lists.get(s, [])) for s in slugs)
    print(
        f"  lists equal: {equal}/{len(slugs)} ({100 * equal / len(slugs):.1f}%); exact entries held: "
        f"{held}/{wanted} ({100 * held / max(1, wanted):.1f}%)"
    )
    print(
        f"  entries of the article's own category: exact {exact_tag}/{wanted} ({100 * exact_tag / max(1, wanted):.1f}%), "
        f"windowed {same_tag}/{entries} ({100 * same_tag / max(1, entries):.1f}%)"
    )
    print(f"  CPU: exact {exact_cpu:.1f} s, windowed {windowed_cpu:.1f} s")
    print(f"lists equal: {100 * equal / len(slugs):.1f}%, entries held: {100 * held / max(1, wanted):.1f}%")


if __name__ == "__main__":
    main()
