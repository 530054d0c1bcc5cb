"""The tasks of the three state machines (statemachines/*.asl.json), one function each.

Every task is idempotent for its item: an import batch stores each file once (a file already stored comes
back ``unchanged``), a shard writes only the items that differ from the canonical ones, a publish shard
writes the same bytes again. Each records its outcome under the run's work area (``results/``), a failed
item its error (``failures/``, from the map's Catch), so the report reads counts, not the map's output,
which a Distributed Map of thousands of items could not carry.

Related lists: the canonical lists are a reindex's, every article replayed in publication order through
the incremental code (newsdrop.related.engine), because document frequencies and topic fits evolve in
that order. That replay is the sequential part: ``replay`` runs it in chunks, checkpointing the in-memory
index to S3 between invocations. Writing the result (the expensive part on DynamoDB: about ten items an
article, compared before they are written) is the parallel part: ``write_related_shard``, one shard of
the keys each. The lists are those of ``newsdrop reindex`` by construction; the tests check it.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from newsdrop.archive.marker import ARCHIVE_MARKER, marked_lists
from newsdrop.archive.vectors import Embedder
from newsdrop.archive.work import WorkArea
from newsdrop.ingest.ingestor import DroppedObject, Ingestor
from newsdrop.related.engine import InMemoryRelatedIndex, order_key, update_for_article
from newsdrop.related.shards import put_if_different, sweep_segment
from newsdrop.related.store import DynamoDBRelatedIndex, canonical_items
from newsdrop.related.windows import WARMUP, WINDOW

log = logging.getLogger(__name__)

IMPORT_BATCH = 200  # files per map item: ~15 s an invocation; fewer items, fewer state transitions
ARTICLE_CHUNK = 500  # articles per replay chunk file
TABLE_SHARDS = 16  # map items writing a table (the related index, the site table): a slice of keys each
PUBLISH_BATCH = 200  # article pages per publish item
LISTINGS_BATCH = 50  # listings (home, a tag, an author) per publish item
REPLAY_MARGIN_S = 60  # a replay step stops when less time than this is left in its invocation
MANIFEST_SUFFIXES = (".manifest.json", ".manifest.txt", ".manifest")


def shard_of(key: str, shards: int) -> int:
    """A stable shard for a key (Python's hash() changes between processes)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % shards


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Context:
    """What the tasks reach: built once per container by newsdrop.archive.wiring."""

    s3: Any
    work_bucket: str
    work_root: str  # the prefix of every run's work area
    ingestor: Callable[[str], Ingestor]  # an ingestor whose writes carry the given run's marker
    articles: Any  # ArticleStore
    related: DynamoDBRelatedIndex
    tables: dict[str, DynamoDBRelatedIndex]  # "related", "site": batch access to a pk/sk table
    publish: Any  # newsdrop.archive.publishing.ShardPublisher
    remaining_ms: Callable[[], int] = lambda: 900_000

    def area(self, run: str) -> WorkArea:
        return WorkArea(self.s3, self.work_bucket, f"{self.work_root}{run}/")


def run_id(event: dict[str, Any]) -> str:
    """The run's name: <state machine>/<execution> (a redriven execution keeps it, and so its work area)."""
    return event.get("run") or "/".join(event["execution"].split(":")[-2:])


def _now() -> str:
    return datetime.now(UTC).isoformat()


# --- import ------------------------------------------------------------------------------------------
def archive_keys(s3: Any, bucket: str, source: str) -> list[str]:
    """The files of an archive: every object under a folder (``archive/2005/``), or the keys a manifest
    names (a JSON list, or one key a line). Sorted, so batches are the same on every run."""
    if source.endswith(MANIFEST_SUFFIXES):
        text = s3.get_object(Bucket=bucket, Key=source)["Body"].read().decode("utf-8")
        import json

        try:
            keys = json.loads(text)
        except ValueError:
            keys = [line.strip() for line in text.splitlines() if line.strip()]
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ValueError(f"{source}: a manifest is a JSON list of keys, or one key a line")
        return sorted(set(keys))
    prefix = source if source.endswith("/") else source + "/"
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/")]
    return sorted(keys)


def plan_import(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    run, source = run_id(event), event["source"]
    bucket = event.get("bucket") or ctx.work_bucket
    keys = [k for k in archive_keys(ctx.s3, bucket, source) if not k.endswith(MANIFEST_SUFFIXES)]
    if not keys:
        raise ValueError(f"nothing to import: no files under s3://{bucket}/{source}")
    size = int(event.get("batch") or IMPORT_BATCH)
    items = [
        {
            "task": "import_batch",
            "run": run,
            "item": f"batch-{i:06d}",
            "size": len(b),
            "bucket": bucket,
            "keys": list(b),
        }
        for i, b in enumerate(batched(keys, size))
    ]
    area = ctx.area(run)
    return {
        "run": run,
        "started": event.get("started") or _now(),
        "articles": len(keys),
        "items": len(items),
        "work_bucket": ctx.work_bucket,
        "manifest": area.put_json("import-items.json", items),
    }


def import_batch(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    """Ingest one batch quietly: the live items carry the run's marker, so the stream consumers (related,
    notify, publisher) skip them; the lists and pages are computed once, at the end."""
    ingestor = ctx.ingestor(event["run"])
    counts = {"stored": 0, "unchanged": 0, "rejected": 0}
    failed = []
    for key in event["keys"]:
        try:
            outcome = ingestor.ingest(DroppedObject(bucket=event["bucket"], key=key))
        except Exception:  # noqa: BLE001 (an AWS failure: the others go on, then the batch is retried)
            log.exception("archive file failed, the batch will be retried", extra={"key": key})
            failed.append(key)
            continue
        counts[outcome.status if outcome.status in counts else "stored"] += 1
    if failed:
        # The retry re-runs the batch: the files already stored come back "unchanged".
        raise RuntimeError(f"{len(failed)} of {len(event['keys'])} files failed: {failed[:5]}")
    return _record(ctx, event, {"articles": len(event["keys"]), **counts})


def _record(ctx: Context, event: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    ctx.area(event["run"]).put_json(f"results/{event['item']}.json", result)
    return {"ok": True}


def record_failure(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    """The map's Catch, after the item's retries: what failed and why, for the report."""
    error = event.get("error") or {}
    size = int(event.get("size") or 1)
    ctx.area(event["run"]).put_json(
        f"failures/{event['item']}.json",
        {
            "item": event["item"],
            "size": size,
            "error": error.get("Error"),
            "cause": str(error.get("Cause"))[:500],
        },
    )
    return {"ok": False}


# --- related: the sequential replay, then the sharded write ------------------------------------------
def plan_reindex(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    """The public articles in canonical order, written in chunks for the replay (up to one window; beyond,
    their slugs, and the windowed branch's Terms map reads each chunk's articles: the plan then holds
    two short strings an article, not the articles)."""
    run = run_id(event)
    area = ctx.area(run)
    options = event.get("input") or {}  # the execution's input: window, warmup, shards (tests and large runs)
    window = int(options.get("window") or WINDOW)
    generation, _ = ctx.related.rebuild_state()  # before the read: see engine.rebuild
    kept: list[Any] = []
    keys: list[tuple[str, str]] = []
    for article in ctx.articles.iter_public_articles():
        keys.append((order_key(article.published.isoformat(), article.slug), article.slug))
        if len(keys) <= window:
            kept.append(article)
        elif kept:
            kept = []  # beyond one window: the Terms map reads them
    ordered = sorted(kept, key=lambda a: order_key(a.published.isoformat(), a.slug))
    chunks = -(-len(keys) // ARTICLE_CHUNK)
    for number, chunk in enumerate(batched(ordered, ARTICLE_CHUNK)):
        area.put_blob(f"articles-{number:06d}.pkl", list(chunk))
    state = {
        "task": "replay",
        "run": run,
        "started": event.get("started") or _now(),
        "articles": len(keys),
        "chunks": chunks,
        "position": 0,
        "done": chunks == 0,
        "generation": generation,
        "work_bucket": ctx.work_bucket,
        "shards": int(event.get("shards") or options.get("shards") or TABLE_SHARDS),
        "step_chunks": int(event.get("step_chunks") or 0),  # 0: as many as the invocation's time allows
        "manifest": area.key("related-items.json"),  # written by the last replay step
        "mode": "replay",
        # An import's reindex: a publish-all follows, which renders every page from these lists, so the
        # lists it writes carry the run's marker and the publisher woken by their stream skips them.
        "mark": run if options.get("publish_follows") else "",
    }
    if len(keys) <= window:  # one window: the exact sequential replay, in checkpointed steps
        return state
    # beyond: windows replayed at once (newsdrop.related.windows), the lists measured against the exact ones
    warmup = int(options.get("warmup") or WARMUP)
    return state | _windows.plan(area, state, [slug for _, slug in sorted(keys)], window, warmup)


def replay(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    """Replay the next chunks in order from the checkpoint; at the end, split the canonical items into
    shard files. A retried step starts again from the last checkpoint (the chunks it replayed before
    dying are replayed again on the same state: the same result)."""
    area = ctx.area(event["run"])
    position, chunks = int(event["position"]), int(event["chunks"])
    index: InMemoryRelatedIndex = area.get_blob("checkpoint.pkl") if position else InMemoryRelatedIndex()
    step_chunks = int(event.get("step_chunks") or 0)
    started = position
    with Embedder() as embedder:  # the model on the other cores, ahead of the ordered replay
        submitted: dict[int, Any] = {}
        while position < chunks:
            # this chunk's vectors and the next one's queued: the workers never wait for the replay,
            # which takes each piece of the chunk as soon as its vectors are known
            for c in range(position, min(position + 2, chunks)):
                if c not in submitted:
                    submitted[c] = embedder.submit(area.get_blob(f"articles-{c:06d}.pkl"))
            for piece in embedder.in_order(submitted.pop(position)):
                for article in piece:
                    update_for_article(index, article)
            position += 1
            if step_chunks and position - started >= step_chunks:
                break
            if ctx.remaining_ms() < REPLAY_MARGIN_S * 1000:
                break
    done = position >= chunks
    if not done:
        area.put_blob("checkpoint.pkl", index)
        return {**event, "position": position, "done": False}
    items = canonical_items(index)
    _split_into_shards(area, event["run"], "related", items, int(event["shards"]), event.get("mark", ""))
    return {**event, "position": position, "done": True, "newest": index.newest}


def _split_into_shards(
    area: WorkArea,
    run: str,
    table: str,
    items: dict[tuple[str, str], dict[str, Any]],
    shards: int,
    mark: str = "",
) -> str:
    """A table's wanted items in ``shards`` files (by a hash of the key), the set of their keys, and the
    map's manifest of shard items (``mark``: the lists are written marked, see write_table_shard);
    returns the manifest's key."""
    split: list[dict[tuple[str, str], dict[str, Any]]] = [{} for _ in range(shards)]
    for key, item in items.items():
        split[shard_of(f"{key[0]}|{key[1]}", shards)][key] = item
    for i, part in enumerate(split):
        area.put_blob(f"{table}-{i:04d}.pkl", part)
    area.put_blob(f"{table}-keys.pkl", set(items))
    return area.put_json(
        f"{table}-items.json",
        [
            {
                "task": "write_table_shard",
                "run": run,
                "item": f"{table}-{i:04d}",
                "size": len(part),
                "table": table,
            }
            | {"shard": i, "shards": shards, "mark": mark}
            for i, part in enumerate(split)
        ],
    )


def write_table_shard(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    """One slice of a table's wanted items written (only those that differ), and one segment of a
    parallel scan of the table swept of items not wanted. The two are disjoint sets of keys, so shards
    may run in any order: no page reads a missing list that the wanted state has."""
    area = ctx.area(event["run"])
    table = ctx.tables[event["table"]]
    part: dict[tuple[str, str], dict[str, Any]] = area.get_blob(f"{event['table']}-{event['shard']:04d}.pkl")
    if event.get("mark"):
        part = marked_lists(part, event["mark"])
    # the marker is not content: a list already stored with the same entries is not written again
    written = put_if_different(table, part, ignored=ARCHIVE_MARKER)
    wanted: set[tuple[str, str]] = area.get_blob(f"{event['table']}-keys.pkl")
    deleted = sweep_segment(table, int(event["shard"]), int(event["shards"]), wanted)
    return _record(ctx, event, {"items": len(part), "written": written, "deleted": deleted})


def finish_reindex(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    settled = ctx.related.finish_rebuild(int(event["generation"]), event.get("newest", ""))
    return {"settled": settled}


# --- publish -----------------------------------------------------------------------------------------
def plan_publish(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    """The site table's state in shard files, and each render item's part of what the plan read (its
    articles and records, its listings' entries) in a work file of its own: the items read no table back."""
    run = run_id(event)
    area = ctx.area(run)
    size = int(event.get("batch") or PUBLISH_BATCH)
    batches = itertools.count()

    def write_pages(batch: Any) -> str:
        name = f"publish-pages-{next(batches):06d}.pkl"
        area.put_blob(name, batch)
        return name

    plan = ctx.publish.plan(ctx.articles.iter_articles(), batch=size, write_pages=write_pages)
    table_manifest = _split_into_shards(
        area, run, "site", plan.items, int(event.get("shards") or TABLE_SHARDS)
    )
    items = [
        {"task": "publish_shard", "run": run, "item": f"pages-{i:06d}", "size": len(slugs), "pages": name}
        for i, (slugs, name) in enumerate(plan.page_batches)
    ]
    for i, names in enumerate(batched(plan.listings, LISTINGS_BATCH)):
        name = f"publish-listings-{i:06d}.pkl"
        area.put_blob(name, ctx.publish.listing_state(plan.built, names))
        items.append(
            {
                "task": "publish_shard",
                "run": run,
                "item": f"listings-{i:06d}",
                "size": len(names),
                "listings": name,
            }
        )
    area.put_blob("publish-site.pkl", ctx.publish.site_state(plan.built))
    items.append(
        {"task": "publish_shard", "run": run, "item": "site", "size": 1, "gone": plan.gone}
        | {"search_shards": plan.search_shards, "state": "publish-site.pkl"}
    )
    return {
        "run": run,
        "started": event.get("started") or _now(),
        "articles": len(plan.public),
        "items": len(items),
        "work_bucket": ctx.work_bucket,
        "table_manifest": table_manifest,
        "manifest": area.put_json("publish-items.json", items),
    }


def publish_shard(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    area = ctx.area(event["run"])
    # "pages", "listings" and "state" name the item's work file in the run's area
    if event.get("pages"):
        written = ctx.publish.pages(area.get_blob(event["pages"]))
    elif event.get("listings"):
        written = ctx.publish.listings(area.get_blob(event["listings"]))
    else:
        state = area.get_blob(event["state"])
        written = ctx.publish.site(event.get("gone") or [], event.get("search_shards") or [], state)
    return _record(ctx, event, {"objects": written})


def finish_publish(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    return {"invalidation": ctx.publish.invalidate_all()}


# --- the report --------------------------------------------------------------------------------------
def report(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    """Counts summed over the run's results, the failed items with their errors, the duration."""
    area = ctx.area(event["run"])
    totals: dict[str, int] = {}
    for result in _read_all(ctx, area, "results/"):
        for name, value in result.items():
            if isinstance(value, int):
                totals[name] = totals.get(name, 0) + value
    failures = list(_read_all(ctx, area, "failures/"))
    started = datetime.fromisoformat(event["started"])
    out = {
        "run": event["run"],
        "kind": event.get("kind", ""),
        **totals,
        "failed_items": len(failures),
        "failed": sum(f.get("size", 0) for f in failures),
        "failures": failures[:50],
        "duration_s": round((datetime.now(UTC) - started).total_seconds(), 1),
    }
    for name in ("related", "publish", "settled"):  # the nested executions' reports; the reindex's finish
        if name in event:
            out[name] = event[name]
    area.put_json("report.json", out)
    return out


def _read_all(ctx: Context, area: WorkArea, sub: str) -> Iterable[dict[str, Any]]:
    import json

    for page in ctx.s3.get_paginator("list_objects_v2").paginate(Bucket=area.bucket, Prefix=area.key(sub)):
        for obj in page.get("Contents", []):
            yield json.loads(ctx.s3.get_object(Bucket=area.bucket, Key=obj["Key"])["Body"].read())


TASKS: dict[str, Callable[[Context, dict[str, Any]], dict[str, Any]]] = {
    "plan_import": plan_import,
    "import_batch": import_batch,
    "record_failure": record_failure,
    "plan_reindex": plan_reindex,
    "replay": replay,
    "write_table_shard": write_table_shard,
    "finish_reindex": finish_reindex,
    "plan_publish": plan_publish,
    "publish_shard": publish_shard,
    "finish_publish": finish_publish,
    "report": report,
}
from newsdrop.archive import windows as _windows  # noqa: E402 (its tasks use this module's helpers)

TASKS |= _windows.TASKS


@cache
def task_model() -> type:
    """What every task payload of the state machines carries (statemachines/*.asl.json): the task's name and
    the run it belongs to (``run``, or the ``execution`` it is named after); the rest is the task's own."""
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, model_validator

    class ArchiveTask(BaseModel):
        model_config = ConfigDict(extra="allow")

        task: Literal[tuple(TASKS)]  # type: ignore[valid-type]
        run: str | None = None
        execution: str | None = None

        @model_validator(mode="after")
        def _names_its_run(self) -> ArchiveTask:
            if not (self.run or self.execution):
                raise ValueError("a task names its run (run) or its execution (execution)")
            return self

    return ArchiveTask


def run_task(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    task_model().model_validate(event)  # a ValidationError names the field; nothing is done
    return TASKS[event["task"]](ctx, event)
