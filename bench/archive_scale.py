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
by ``--articles 200`` without ``--in-memory``. CPU in memory is the articles' parsing and tagging, the replay, the
plans and the rendering of every article page (listings, sitemaps and feeds on top are the same order: see docs/archive.md),
without the sentence embedding's inference (a stand-in from bench/related_scale.py: the model is 184 ms
an article, bench/embedding_cost.py, computed once an article on the archive path).

The last line is ``per article: <items> items, <ms> ms``."""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def typed_size(value: dict[str, Any]) -> int:
    """The size DynamoDB counts for a value in its wire form ({"S": ...}, {"M": ...}): as
    newsdrop.ingest.store.item_size counts it for Python values."""
    ((kind, v),) = value.items()
    if kind == "M":
        return 3 + sum(len(k.encode()) + typed_size(x) + 1 for k, x in v.items())
    if kind == "L":
        return 3 + sum(typed_size(x) + 1 for x in v)
    if kind == "S":
        return len(v.encode("utf-8", "surrogatepass"))
    if kind == "N":
        return 21
    if kind == "B":
        return len(v) * 3 // 4  # base64 on the wire
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(x).encode()) for x in v)
    return 1  # BOOL, NULL


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(k.encode()) + typed_size(v) for k, v in item.items())


class UnitCounter:
    """What DynamoDB and S3 bill, counted from the wire (the requests' and responses' JSON, whatever
    client or resource sent them): write request units (1 KB each, rounded up per item, twice in a
    transaction), read request units (4 KB, strongly consistent: the upper bound; rounded up per item of a
    GetItem or BatchGetItem, per call over the items a Query or Scan returns), and S3 requests by kind."""

    def __init__(self, items: DynamoDBCounter):
        import boto3

        self.wru = self.rru = 0
        self.s3: Counter[str] = Counter()
        self.items = items
        self.default = boto3._get_default_session()
        self.attach(self.default)
        # the publisher's runtime (the site's objects, its reads) builds a session of its own
        real = boto3.session.Session.__init__

        def init(session: Any, *args: Any, **kwargs: Any) -> None:
            real(session, *args, **kwargs)
            self.attach(session)

        boto3.session.Session.__init__ = init

    def attach(self, session: Any) -> None:
        events = session.events
        events.register("before-call.dynamodb", self._request)
        events.register("after-call.dynamodb", self._response)
        events.register("after-call.s3", self._s3)
        if session is not self.default:  # the items counter registered itself on the default one
            events.register("provide-client-params.dynamodb", self.items._remember_params)
            events.register("after-call.dynamodb", self.items._after_call)

    def reset(self) -> None:
        self.wru = self.rru = 0
        self.s3.clear()

    @staticmethod
    def _units(size: int, unit: int) -> int:
        return max(1, -(-size // unit))

    def _request(self, model: Any, params: dict[str, Any], **kwargs: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        op = model.name
        if op == "PutItem":
            self.wru += self._units(item_bytes(body["Item"]), 1024)
        elif op in ("UpdateItem", "DeleteItem"):
            self.wru += 1  # the stored item's size decides; these are small counters and markers here
        elif op == "BatchWriteItem":
            for requests in body.get("RequestItems", {}).values():
                for r in requests:
                    put = r.get("PutRequest")
                    self.wru += self._units(item_bytes(put["Item"]), 1024) if put else 1
        elif op == "TransactWriteItems":
            for t in body.get("TransactItems", []):
                put = t.get("Put")
                self.wru += 2 * (self._units(item_bytes(put["Item"]), 1024) if put else 1)

    def _response(self, model: Any, http_response: Any, **kwargs: Any) -> None:
        op = model.name
        if op not in ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"):
            return
        body = json.loads(http_response.content or b"{}")
        if op == "GetItem":
            self.rru += self._units(item_bytes(body["Item"]), 4096) if "Item" in body else 1
        elif op == "BatchGetItem":
            for items in body.get("Responses", {}).values():
                self.rru += sum(self._units(item_bytes(i), 4096) for i in items)
        elif op == "TransactGetItems":
            self.rru += sum(2 * self._units(item_bytes(r.get("Item", {})), 4096) for r in body["Responses"])
        else:
            self.rru += self._units(sum(item_bytes(i) for i in body.get("Items", [])), 4096)

    def _s3(self, model: Any, **kwargs: Any) -> None:
        self.s3[model.name] += 1


def on_stack(n: int) -> tuple[float, float, float]:
    """(items read, items written, CPU seconds) of one archive import of n articles on moto."""
    from newsdrop.archive import executions
    from newsdrop.archive.feed import upload_archive
    from newsdrop.local.dispatch import Dispatcher
    from newsdrop.local.pipeline import embedded_aws
    from newsdrop.local.stack import LocalStack

    rows_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"archive-scale-{os.getpid()}.jsonl"
    rows_file.write_text("".join(json.dumps(r) + "\n" for r in synthetic_rows(n)))
    try:
        with embedded_aws():
            counter = DynamoDBCounter()
            units = UnitCounter(counter)
            stack = LocalStack(
                env_overrides={"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
            ).deploy()
            source, _ = upload_archive(
                stack.client("s3"), stack.output("DropBucketName"), "scale", [rows_file]
            )
            counter.reset()
            units.reset()
            started = cpu_seconds()
            report = executions.run(
                stack.client("stepfunctions"), stack.outputs(), "import", {"source": source}, poll_seconds=0.5
            )
            cpu = cpu_seconds() - started
            billed = (units.rru, units.wru, dict(units.s3))
            # then the streams, as a publisher lagging behind the execution reads them: the import's
            # articles are filtered out, and its related lists (KEYS_ONLY) wake the publisher
            reads, writes = counter.reads, counter.writes
            units.reset()
            stream_cpu = cpu_seconds()
            Dispatcher(stack).pump()
            stream_cpu = cpu_seconds() - stream_cpu
            stream = (counter.reads - reads, counter.writes - writes, units.rru, units.wru, dict(units.s3))
            counter.reads, counter.writes = reads, writes
    finally:
        rows_file.unlink(missing_ok=True)
    failed = report["failed"] + report["related"]["failed"] + report["publish"]["failed"]
    if report["stored"] != n or failed:
        raise SystemExit(f"the import did not store every article: {executions.summary(report)}")
    print(f"  stack: {executions.summary(report)}; related {report['related']['items']} index items")
    print(f"  DynamoDB calls: {dict(counter.calls.most_common())}")
    rru, wru, s3 = billed
    print(
        f"  billed an article: {rru / n:.1f} read units, {wru / n:.1f} write units (sized by item); "
        f"S3 {s3.get('PutObject', 0) / n:.1f} PUTs, {s3.get('GetObject', 0) / n:.1f} GETs ({s3})"
    )
    print(
        f"  then the streams (a publisher lagging behind the execution): {stream[0] / n:.1f} items read, "
        f"{stream[1] / n:.1f} written, {stream[2] / n:.1f} read units, {stream[3] / n:.1f} write units an "
        f"article; S3 {stream[4]}; {1000 * stream_cpu / n:.1f} ms CPU an article"
    )
    return counter.reads, counter.writes, cpu


_SHARED: tuple[Any, ...] = ()  # what forked workers inherit: closures and the tagger do not pickle


def _article(i: int) -> Any:
    to_article, tagger, rows = _SHARED
    return to_article(rows[i], tagger)


def _window(window: Any) -> Any:
    replay_window, source = _SHARED
    return replay_window(source, window)


@contextlib.contextmanager
def _pool(workers: int, build: Callable[[], tuple[Any, ...]]) -> Iterator[Any]:
    """A pool of forked workers sharing build()'s objects, or None (work in this process) for one worker.
    Workers are joined on exit, so their CPU counts in RUSAGE_CHILDREN."""
    global _SHARED
    _SHARED = build()
    if workers <= 1:
        yield None
        return
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        yield pool
    finally:
        pool.close()
        pool.join()


def in_memory(n: int, workers: int = 1) -> tuple[float, float, float]:
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
    rows = synthetic_rows(n)  # the editors' text: made before the clock starts, not the archive path's work
    started = cpu_seconds()
    with _pool(workers, build=lambda: (to_article, tagger, rows)) as pool:
        built = pool.map(_article, range(n), chunksize=200) if pool else [_article(i) for i in range(n)]
    articles = [  # as the stack's import stores them: the row's category is its editor tag
        replace(
            article, published=start + timedelta(hours=i), editor_tags=normalize_tags([rows[i]["category"]])
        )
        for i, article in enumerate(built)
    ]
    # what the reindex state machine computes: one exact replay up to a window, windows beyond; the
    # windows are independent (each starts from exact statistics), so the state machine's Distributed Map
    # runs them at once, and --workers does here
    source = windows.in_memory_source(articles)
    plan = windows.plan_windows(n)
    with _pool(workers, build=lambda: (windows.replay_window, source)) as pool:
        results = []
        for window, result in zip(
            plan, pool.imap(_window, plan) if pool else map(_window, plan), strict=True
        ):
            results.append(result)
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
    print(f"  write units sized by item, an article: {sized_writes(articles, index, plan) / n:.1f}")
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


def sized_writes(articles: list[Any], index: Any, plan: Any) -> int:
    """The write units of what the archive path writes (1 KB each, rounded up per item): the ingest's
    transaction (the live item with the run's marker, its hash and source pointers: twice, as a
    transaction bills) and its drop record, every related index item and site table item."""
    from newsdrop.ingest.store import article_to_item, item_size
    from newsdrop.related.store import canonical_items

    def size(value: Any) -> int:  # item_size, and binary values (the packed vectors) by their bytes
        if isinstance(value, dict):
            return 3 + sum(len(str(k).encode()) + size(v) + 1 for k, v in value.items())
        if isinstance(value, list | tuple | set):
            return 3 + sum(size(v) + 1 for v in value)
        raw = getattr(value, "value", value)
        return len(raw) if isinstance(raw, bytes | bytearray) else item_size(value)

    def units(item: dict[str, Any]) -> int:
        return max(1, -(-(size(item) - 3) // 1024))  # the item itself is not a nested map

    ingest = sum(2 * (units({**article_to_item(a), "archive_run": "x" * 60}) + 2) + 1 for a in articles)
    return ingest + sum(map(units, canonical_items(index).values())) + sum(map(units, plan.items.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2500)
    parser.add_argument("--in-memory", action="store_true", help="without DynamoDB (large sizes)")
    parser.add_argument("--smoke", action="store_true", help="the smallest size, on the local stack")
    parser.add_argument(
        "--workers", type=int, default=1, help="in memory: processes building articles and replaying windows"
    )
    args = parser.parse_args()
    n = 30 if args.smoke else args.articles
    mode = "in memory" if args.in_memory else "local stack (moto)"
    print(f"archive import of {n:,} synthetic articles, {mode}", flush=True)
    wall = time.perf_counter()
    reads, writes, cpu = in_memory(n, args.workers) if args.in_memory else on_stack(n)
    print(
        f"  DynamoDB items: {reads:,.0f} read + {writes:,.0f} written = {(reads + writes) / n:.1f} an article "
        f"({reads / n:.1f} read, {writes / n:.1f} written); CPU {cpu:.1f} s, wall {time.perf_counter() - wall:.1f} s"
    )
    print(f"per article: {(reads + writes) / n:.1f} items, {1000 * cpu / n:.1f} ms")


if __name__ == "__main__":
    main()
