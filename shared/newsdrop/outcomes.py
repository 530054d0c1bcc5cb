"""What became of a file dropped into (or deleted from) a stack's drop bucket, as `newsdrop drop` and
`newsdrop unpublish` report it: read back from the drop records ingest writes, never guessed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from newsdrop.ingest.store import ArticleStore

# Between two reads of the drop records; the tests replace it with a step of the local dispatcher.
pause: Callable[[float], None] = time.sleep


@dataclass
class Outcome:
    key: str
    status: str  # stored, unchanged, rejected, unpublished; "pending" when nothing came in time
    slug: str | None = None
    reason: str | None = None
    detail: str | None = None
    quarantined_as: str | None = None


def drop_count(store: ArticleStore, key: str) -> int:
    return len(store.drops_for(key))


def await_outcome(store: ArticleStore, key: str, seen: int, *, timeout: float, every: float = 1.0) -> Outcome:
    """The first drop record of ``key`` after the ``seen`` ones it had before the upload or delete.

    Ingest writes one record per S3 event (a redelivered event adds none), so a new record is this
    upload's outcome."""
    waited = 0.0
    while True:
        records = sorted(store.drops_for(key), key=lambda r: r.get("event_time", ""))
        if len(records) > seen:
            last = records[-1]
            return Outcome(
                key=key,
                status=last["status"],
                slug=last.get("slug"),
                reason=last.get("reason"),
                detail=last.get("detail"),
                quarantined_as=last.get("quarantined_as"),
            )
        if waited >= timeout:
            return Outcome(key=key, status="pending")
        pause(every)
        waited += every


def source_key(store: ArticleStore, prefix: str, target: str) -> str:
    """The drop-bucket key of an article, from its slug or from the file's key (with or without the
    incoming prefix)."""
    if target.startswith(prefix):
        return target
    article = store.get_article(target)
    if article is not None:
        return article.source_key
    if "/" in target or "." in target:
        return f"{prefix}{target}"
    raise LookupError(f"no article has the slug {target!r}, and it is not a file name")


def describe(outcome: Outcome, outputs: dict[str, Any], bucket: str) -> str:
    """One line an editor can act on."""
    name = outcome.key
    if outcome.status in ("stored", "unchanged"):
        from newsdrop.site.layout import article_key, url_path

        url = outputs.get("SiteUrl", "").rstrip("/") + url_path(article_key(outcome.slug or ""))
        done = "stored" if outcome.status == "stored" else "unchanged (the same text was already stored)"
        return f"{done}: {name} -> {outcome.slug}  {url}"
    if outcome.status == "rejected":
        where = (
            f"; the file is kept as s3://{bucket}/{outcome.quarantined_as}" if outcome.quarantined_as else ""
        )
        return f"rejected: {name}: {outcome.reason}: {outcome.detail}{where}"
    if outcome.status == "unpublished":
        return f"unpublished: {outcome.slug} (the file {name} was deleted; its revisions are kept)"
    return (
        f"pending: {name}: no outcome yet (still processing, or the event failed: "
        "run `newsdrop doctor` to see the dead-letter queues)"
    )
