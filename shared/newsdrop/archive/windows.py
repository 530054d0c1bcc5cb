"""The reindex state machine's windowed branch: an archive larger than one window (newsdrop.related.windows).

After the plan has written the articles in order (chunks of ``tasks.ARTICLE_CHUNK``):

1. **Terms** (a map, one item a chunk): the chunk's articles read by slug (the plan kept only the
   slugs), written for the windows; their document-frequency counts; their sentence embeddings (the
   model runs once an article, at the map's concurrency).
2. **Prefix** (sequential, in bounded steps with a checkpoint): the running sum of those counts, kept at
   the chunks where a window's seed starts (``windows.seed_positions``), and the centred cosine's centre
   folded as the replay folds it (``windows.CentreWalk``), kept at each window's start. This is the only
   order-dependent work left, and it touches compact counts and vectors, not articles.
3. **Windows** (a map, one item a window): each replays its window from the exact statistics of its start
   and writes its contribution split by object (slug, term) into ``shards`` parts.
4. **Merge** (a map, one item a part): the parts of every window merged into the part's wanted items.
5. **Merged**: the wanted keys and the write map's manifest; then the shards are written as in the
   sequential branch (``tasks.write_table_shard``).

A window or a merge that fails its retries fails the execution before anything is written: the related
table keeps its lists, and the reindex is started again (each item is a function of the articles alone).
"""

from __future__ import annotations

from typing import Any

from newsdrop.archive.vectors import Embedder
from newsdrop.archive.work import WorkArea
from newsdrop.ingest.store import article_from_item, article_key, slug_of_key
from newsdrop.related import windows
from newsdrop.related.store import canonical_items

_HEAD = next(iter(canonical_items(windows.InMemoryRelatedIndex())))  # the one item an empty index has


def plan(area: WorkArea, state: dict[str, Any], slugs: list[str], size: int, warmup: int) -> dict[str, Any]:
    """The windowed branch's manifests, added to the plan's state."""
    run, n, shards = state["run"], len(slugs), int(state["shards"])
    chunks = int(state["chunks"])
    planned = windows.plan_windows(n, size, warmup)
    area.put_blob("slugs.pkl", slugs)
    area.put_blob("centre-walk.pkl", windows.CentreWalk.over(n, [w.start for w in planned]))
    for c, chunk in enumerate(tasks.batched(slugs, tasks.ARTICLE_CHUNK)):
        area.put_blob(f"slugs-{c:06d}.pkl", list(chunk))
    needed = sorted({x // tasks.ARTICLE_CHUNK for w in planned for x in windows.seed_positions(n, w.start)})
    terms = [
        {"task": "chunk_terms", "run": run, "item": f"terms-{c:06d}", "size": tasks.ARTICLE_CHUNK, "chunk": c}
        for c in range(chunks)
    ]
    items = [
        {"task": "replay_window", "run": run, "item": f"window-{w.number:06d}", "size": w.end - w.own}
        | {"number": w.number, "start": w.start, "own": w.own, "end": w.end, "shards": shards}
        for w in planned
    ]
    merges = [
        {"task": "merge_windows", "run": run, "item": f"merge-{p:04d}", "size": 1}
        | {"part": p, "windows": len(planned)}
        for p in range(shards)
    ]
    return {
        "mode": "windows",
        "task": "prefix_terms",
        "windows": len(planned),
        "needed": needed,
        "terms_manifest": area.put_json("terms-items.json", terms),
        "windows_manifest": area.put_json("window-items.json", items),
        "merge_manifest": area.put_json("merge-items.json", merges),
    }


def chunk_terms(ctx: tasks.Context, event: dict[str, Any]) -> dict[str, Any]:
    area = ctx.area(event["run"])
    c = int(event["chunk"])
    slugs = area.get_blob(f"slugs-{c:06d}.pkl")
    # the chunk's live items in batches of 100 keys (the same read units as a GetItem each, 1% of the calls)
    items = ctx.tables["articles"]._batch_get([article_key(slug) for slug in slugs])
    by_slug = {slug_of_key(item): item for item in items}
    chunk = []
    for slug in slugs:
        if slug not in by_slug:  # the positions of every later article would shift: no partial result
            raise RuntimeError(f"{slug} was deleted during the reindex: start the reindex again")
        chunk.append(article_from_item(by_slug[slug]))
    area.put_blob(f"articles-{c:06d}.pkl", chunk)
    # the sentence embeddings too, once an article (a window would embed its warm-up again), by
    # fingerprint for the windows and in order for the centre; on every core the invocation has
    with Embedder() as embedder:
        embedder.remember(chunk)
    counts, vectors, keyed = windows.chunk_summary(chunk)
    area.put_blob(f"terms-{c:06d}.pkl", counts)
    area.put_blob(f"embeddings-{c:06d}.pkl", vectors)
    area.put_blob(f"centre-{c:06d}.pkl", keyed)
    return tasks._record(ctx, event, {"articles": len(chunk)})


def prefix_terms(ctx: tasks.Context, event: dict[str, Any]) -> dict[str, Any]:
    """The running document frequencies, written where a seed needs them (``df-<chunk>``: the counts of
    every chunk before it), and the centre at every window's start (``centres``); checkpointed between
    steps, like the replay."""
    area = ctx.area(event["run"])
    position, chunks = int(event.get("prefix_position") or 0), int(event["chunks"])
    if not position:
        _fail_if_any(ctx, area, ("terms-",))
    needed = set(event["needed"])
    if position:
        total, walk = area.get_blob("prefix-checkpoint.pkl")
    else:
        total, walk = {}, area.get_blob("centre-walk.pkl")
    while position <= chunks:
        if position in needed:
            area.put_blob(f"df-{position:06d}.pkl", total)
        if position == chunks:
            break
        windows.add_counts(total, area.get_blob(f"terms-{position:06d}.pkl"))
        walk.add(area.get_blob(f"centre-{position:06d}.pkl"))
        position += 1
        if ctx.remaining_ms() < tasks.REPLAY_MARGIN_S * 1000:
            area.put_blob("prefix-checkpoint.pkl", (total, walk))
            return {**event, "prefix_position": position, "prefix_done": False}
    area.put_blob("centres.pkl", walk.at)
    return {**event, "prefix_position": position, "prefix_done": True, "task": "windows_merged"}


class _S3Source(windows.Source):
    """The ordered articles of a run's chunks, and the prefix counts, as a window reads them."""

    def __init__(self, area: WorkArea) -> None:
        self.area = area
        self._chunks: dict[int, list[Any]] = {}
        self._centres: dict[int, tuple[list[float], int]] | None = None
        super().__init__(self._articles, area.get_blob("slugs.pkl"), self._df_at, self._centre_at)

    def _centre_at(self, x: int) -> tuple[list[float], int]:
        if self._centres is None:
            self._centres = self.area.get_blob("centres.pkl")
        return self._centres[x]

    def _chunk(self, c: int) -> list[Any]:
        if c not in self._chunks:
            self._chunks[c] = self.area.get_blob(f"articles-{c:06d}.pkl")
        return self._chunks[c]

    def _articles(self, a: int, b: int) -> list[Any]:
        out: list[Any] = []
        for c in range(a // tasks.ARTICLE_CHUNK, -(-b // tasks.ARTICLE_CHUNK) if b > a else 0):
            first = c * tasks.ARTICLE_CHUNK
            out += self._chunk(c)[max(0, a - first) : b - first]
        return out

    def _df_at(self, x: int) -> dict[str, int]:
        c = x // tasks.ARTICLE_CHUNK
        counts = dict(self.area.get_blob(f"df-{c:06d}.pkl"))
        return windows.add_counts(counts, windows.count_terms(self._articles(c * tasks.ARTICLE_CHUNK, x)))


def replay_window(ctx: tasks.Context, event: dict[str, Any]) -> dict[str, Any]:
    area = ctx.area(event["run"])
    window = windows.Window(int(event["number"]), int(event["start"]), int(event["own"]), int(event["end"]))
    for c in range(window.start // tasks.ARTICLE_CHUNK, -(-window.end // tasks.ARTICLE_CHUNK)):
        windows.remember(area.get_blob(f"embeddings-{c:06d}.pkl"))
    result = windows.replay_window(_S3Source(area), window)
    shards = int(event["shards"])
    for part, piece in enumerate(windows.split(result, shards, tasks.shard_of)):
        area.put_blob(f"window-{window.number:06d}-{part:04d}.pkl", piece)
    if result.final is not None:
        area.put_json("newest.json", result.final.newest)
    return tasks._record(ctx, event, {"replayed": window.end - window.start})


def merge_windows(ctx: tasks.Context, event: dict[str, Any]) -> dict[str, Any]:
    area = ctx.area(event["run"])
    part = int(event["part"])
    pieces = [area.get_blob(f"window-{w:06d}-{part:04d}.pkl") for w in range(int(event["windows"]))]
    items = canonical_items(windows.merge(pieces))
    if not any(p.final is not None for p in pieces):
        items.pop(_HEAD, None)  # the head is the last window's, in part 0
    area.put_blob(f"related-{part:04d}.pkl", items)
    area.put_blob(f"related-keys-{part:04d}.pkl", set(items))
    return tasks._record(ctx, event, {"items": len(items)})


def windows_merged(ctx: tasks.Context, event: dict[str, Any]) -> dict[str, Any]:
    """Every window and merge done (else the execution fails here, before any write); the wanted keys and
    the write map's manifest."""
    area = ctx.area(event["run"])
    _fail_if_any(ctx, area, ("window-", "merge-"))
    shards = int(event["shards"])
    parts = [area.get_blob(f"related-keys-{part:04d}.pkl") for part in range(shards)]
    area.put_blob("related-keys.pkl", set().union(*parts))
    items = [
        {"task": "write_table_shard", "run": event["run"], "item": f"related-{p:04d}", "size": len(keys)}
        | {"table": "related", "shard": p, "shards": shards, "mark": event.get("mark", "")}
        for p, keys in enumerate(parts)
    ]
    return {
        **event,
        "manifest": area.put_json("related-items.json", items),
        "newest": area.get_json("newest.json"),
    }


def _fail_if_any(ctx: tasks.Context, area: WorkArea, kinds: tuple[str, ...]) -> None:
    """Fails the execution, before anything is written, if an item of these kinds spent its retries."""
    failed = [f["item"] for f in tasks._read_all(ctx, area, "failures/") if f["item"].startswith(kinds)]
    # the cause first: a window that failed fails every merge after it
    failed.sort(key=lambda item: (next(i for i, k in enumerate(kinds) if item.startswith(k)), item))
    if failed:
        raise RuntimeError(
            f"{len(failed)} windowed reindex items failed ({failed[:5]}): start the reindex again"
        )


TASKS = {
    "chunk_terms": chunk_terms,
    "prefix_terms": prefix_terms,
    "replay_window": replay_window,
    "merge_windows": merge_windows,
    "windows_merged": windows_merged,
}
# Last: newsdrop.archive.tasks imports this module at its end, to add these tasks to its own.
from newsdrop.archive import tasks  # noqa: E402
