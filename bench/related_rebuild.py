"""What a canonical rebuild of the related index costs, at growing corpus sizes.

    .venv/bin/python bench/related_rebuild.py [--sizes 500,2000,10000]

For each size n (BBC corpus read in place up to 2,127, synthetic text beyond, as bench/related_cost.py):
the in-memory reindex that a rebuild runs (seconds, and per 1,000 articles), then, on in-process moto, a
table holding the canonical index of n articles receives one back-dated article (the incremental path
applies it and asks for a rebuild), and the rebuild runs: DynamoDB items read (its scans) and written
(only the items that differ), and its wall time. Then the same for an edit of an existing article."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import DynamoDBCounter  # noqa: E402
from related_cost import corpus  # noqa: E402

from newsdrop.related import engine as related  # noqa: E402


def rebuild_after(store, arts: list, event, counter: DynamoDBCounter) -> tuple[int, int, int, float]:
    """Apply ``event`` incrementally, then rebuild; (items written by the rebuild, read, written, s)."""
    live = event(store, arts)
    assert store.rebuild_state()[1], "the event should have asked for a rebuild"
    counter.reset()
    t0 = time.perf_counter()
    outcome = related.rebuild(store, lambda: live)
    seconds = time.perf_counter() - t0
    assert outcome.ran and outcome.settled
    return outcome.items_changed, counter.reads, counter.writes, seconds


def back_dated(store, arts):
    late = replace(arts[len(arts) // 2], slug="back-dated", published=arts[0].published - timedelta(days=30))
    related.update_for_article(store, late)
    return [*arts, late]


def edited(store, arts):
    target = arts[len(arts) // 3]
    changed = replace(target, title=target.title + " (corrected)")
    related.update_for_article(store, changed)
    return [changed if a.slug == target.slug else a for a in arts]


def main() -> None:
    import boto3
    from moto import mock_aws

    from newsdrop import aws
    from newsdrop.related.store import DynamoDBRelatedIndex, create_table

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="500,2000,10000")
    ap.add_argument("--smoke", action="store_true", help="100 articles only (CI)")
    args = ap.parse_args()
    if args.smoke:
        args.sizes = "100"
    print(
        f"{'corpus':>7} | {'reindex s':>9} {'s/1k art':>8} | {'index items':>11} | "
        f"{'event':>10} {'changed':>7} {'read':>7} {'written':>7} {'rebuild s':>9}"
    )
    for n in (int(x) for x in args.sizes.split(",")):
        arts = corpus(n)
        t0 = time.perf_counter()
        canonical = related.InMemoryRelatedIndex()
        related.reindex_all(canonical, arts)
        compute = time.perf_counter() - t0
        with mock_aws():
            boto3.setup_default_session(region_name="us-east-1")
            counter = DynamoDBCounter()
            # newsdrop.aws keeps one client per process, made from the session of its time: a new one
            # for each size, from the session the counter watches (else sizes after the first count 0)
            aws.client.cache_clear()
            aws.resource.cache_clear()
            create_table(f"related-{n}")
            store = DynamoDBRelatedIndex(f"related-{n}", on_dirty=lambda: None)
            total = related.rebuild(store, lambda arts=arts: arts, force=True).items_changed  # the load
            for name, event in (("back-dated", back_dated), ("edit", edited)):
                changed, reads, writes, seconds = rebuild_after(store, arts, event, counter)
                print(
                    f"{n:>7} | {compute:>9.1f} {1000 * compute / n:>8.2f} | {total:>11} | "
                    f"{name:>10} {changed:>7} {reads:>7} {writes:>7} {seconds:>9.1f}",
                    flush=True,
                )
                arts = [a for a in arts if a.slug != "back-dated"] if name == "back-dated" else arts
                related.rebuild(store, lambda arts=arts: arts, force=True)  # back to the base corpus


if __name__ == "__main__":
    main()
