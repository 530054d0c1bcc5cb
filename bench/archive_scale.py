"""An archive of N synthetic articles imported by the archive path: DynamoDB items and CPU per article.

    .venv/bin/python bench/archive_scale.py --articles N [--in-memory] [--smoke]

On the local stack (default): the articles are uploaded under archive/ and one archive-import execution
runs on moto's Step Functions interpreter with the real tasks in-process (ingest, the related replay and
the sharded writes, the sharded publish); every DynamoDB item read and written by the functions is
counted (bench/common.DynamoDBCounter), and the CPU of this process is measured (moto's included).

``--in-memory`` (for sizes moto is too slow for): the same code without DynamoDB. The articles are built
by the ingest's parser and tagger, replayed as the reindex state machine replays them (one exact replay up
to ``newsdrop.related.windows.WINDOW`` articles, windows beyond: each article replayed about twice), and
the site table's state planned; the items the archive path writes are then
counted exactly (``canonical_items``, ``site_items``), and the reads it makes are derived from them with
the per-access constants of the tasks (each written item is first read by a BatchGetItem and later seen
by the sweep's scan; the plans scan the articles table, 4 items an article; a page reads its related
list and its related entries' records): the model is printed next to the stack's measured figures at the same size
by ``--articles 200`` without ``--in-memory``. CPU in memory is the replay, the plans and the rendering
of every article page (listings, sitemaps and feeds on top are the same order: see docs/archive.md),
without the sentence embedding's inference (a stand-in from bench/related_scale.py: the model is 184 ms
an article, bench/embedding_cost.py, computed once an article on the archive path).

The last line is ``per article: <items> items, <ms> ms``."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import DynamoDBCounter  # noqa: E402
from related_cost import synthetic_rows  # noqa: E402

INGEST_READS, INGEST_WRITES = (
    3,
    4,
)  # per stored article: source, hash and slug lookups; the transaction + drop record
SCANNED_PER_ARTICLE = 4  # the articles table holds CURRENT, HASH, SOURCE and DROP items per article
# its related list (then its related entries' records); the article and its site record are in the plan's
# work file for its page item
PAGE_READS = 1


def cpu_seconds() -> float:
    """This process's CPU and its waited-for children's: the replay's embedding runs on worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def on_stack(n: int) -> tuple[float, float, float]:
    """(items read, items written, CPU seconds) of one archive import of n articles on moto."""
    from newsdrop.archive import executions
    from newsdrop.archive.feed import upload_archive
    from newsdrop.local.pipeline import embedded_aws
    from newsdrop.local.stack import LocalStack

    rows_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"archive-scale-{os.getpid()}.jsonl"
    rows_file.write_text("".join(json.dumps(r) + "\n" for r in synthetic_rows(n)))
    try:
        with embedded_aws():
            counter = DynamoDBCounter()
            stack = LocalStack(
                env_overrides={"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
            ).deploy()
            source, _ = upload_archive(
                stack.client("s3"), stack.output("DropBucketName"), "scale", [rows_file]
            )
            counter.reset()
            started = cpu_seconds()
            report = executions.run(
                stack.client("stepfunctions"), stack.outputs(), "import", {"source": source}, poll_seconds=0.5
            )
            cpu = cpu_seconds() - started
    finally:
        rows_file.unlink(missing_ok=True)
    failed = report["failed"] + report["related"]["failed"] + report["publish"]["failed"]
    if report["stored"] != n or failed:
        raise SystemExit(f"the import did not store every article: {executions.summary(report)}")
    print(f"  stack: {executions.summary(report)}; related {report['related']['items']} index items")
    print(f"  DynamoDB calls: {dict(counter.calls.most_common())}")
    return counter.reads, counter.writes, cpu


def in_memory(n: int) -> tuple[float, float, float]:
    """(items read, items written, CPU seconds) of the archive path's work for n articles, without
    DynamoDB (see the module's docstring for what is counted and how)."""
    from related_quality import auto_tagger, to_article
    from related_scale import StandIn

    from newsdrop.archive.publishing import ShardPublisher
    from newsdrop.ingest.tagging import normalize_tags
    from newsdrop.related import semantic, windows
    from newsdrop.related.store import canonical_items
    from newsdrop.site.render import Renderer, SiteSettings

    # the model's inference (184 ms an article, bench/embedding_cost.py; once an article on the archive
    # path) is left out of the CPU here: a stand-in gives the buckets the same items and topical structure
    semantic.vector_source = StandIn()
    tagger = auto_tagger()
    start = datetime(2005, 1, 1, tzinfo=UTC)
    started = cpu_seconds()
    articles = [  # as the stack's import stores them: the row's category is its editor tag
        replace(
            to_article(row, tagger),
            published=start + timedelta(hours=i),
            editor_tags=normalize_tags([row["category"]]),
        )
        for i, row in enumerate(synthetic_rows(n))
    ]
    # what the reindex state machine computes: one exact replay up to a window, windows beyond
    source = windows.in_memory_source(articles)
    results = []
    for window in windows.plan_windows(n):
        results.append(windows.replay_window(source, window))
        print(f"  window {window} ({cpu_seconds() - started:.0f} s CPU)", file=sys.stderr, flush=True)
    index = windows.merge(results)
    related_items = len(canonical_items(index))

    class NoCorrections:
        def corrections(self) -> dict[str, str]:
            return {}

    plan = ShardPublisher(type("Runtime", (), {"publisher": None})(), NoCorrections()).plan(articles)
    site_items = len(plan.items)
    renderer = Renderer(SiteSettings(base_url="https://news.example"))
    for article in articles:
        renderer.article_page(article, index.lists.get(article.slug, []), None)
    cpu = cpu_seconds() - started
    related_entries = sum(len(v) for v in index.lists.values())
    reads = (
        n * INGEST_READS
        + 2 * n * SCANNED_PER_ARTICLE  # the reindex and publish plans' scans
        + 2 * related_items  # compared before the write, then seen by the sweep
        + 2 * site_items
        + n * PAGE_READS
        + related_entries  # the related entries' site records (public_among)
    )  # the listings and the site-wide files render from the plan's work files: no table read
    writes = n * INGEST_WRITES + related_items + site_items
    print(
        f"  in memory: {related_items:,} related index items ({related_items / n:.2f} an article), "
        f"{site_items:,} site table items ({site_items / n:.2f}), {related_entries / n:.2f} related entries "
        f"an article; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    return reads, writes, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2500)
    parser.add_argument("--in-memory", action="store_true", help="without DynamoDB (large sizes)")
    parser.add_argument("--smoke", action="store_true", help="the smallest size, on the local stack")
    args = parser.parse_args()
    n = 30 if args.smoke else args.articles
    mode = "in memory" if args.in_memory else "local stack (moto)"
    print(f"archive import of {n:,} synthetic articles, {mode}", flush=True)
    wall = time.perf_counter()
    reads, writes, cpu = in_memory(n) if args.in_memory else on_stack(n)
    print(
        f"  DynamoDB items: {reads:,.0f} read + {writes:,.0f} written = {(reads + writes) / n:.1f} an article "
        f"({reads / n:.1f} read, {writes / n:.1f} written); CPU {cpu:.1f} s, wall {time.perf_counter() - wall:.1f} s"
    )
    print(f"per article: {(reads + writes) / n:.1f} items, {1000 * cpu / n:.1f} ms")


if __name__ == "__main__":
    main()
