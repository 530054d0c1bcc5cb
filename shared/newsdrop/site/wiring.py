"""The publisher's composition root: stream records -> SitePublisher (domain) -> S3 + CloudFront."""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from newsdrop.images.refs import MEDIA_PREFIX
from newsdrop.site.config import load_settings
from newsdrop.site.publish import SiteChanges, SitePublisher
from newsdrop.site.render import Renderer, SiteSettings
from newsdrop.site.store import (
    MAX_INVALIDATION_PATHS,
    CloudFrontInvalidator,
    DynamoDBSiteIndex,
    S3SiteBucket,
)

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger(__name__)


def changed_slugs(records: Iterable[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(articles whose live item changed, articles whose related list changed) from the records of the
    articles stream (``ARTICLE#<slug>``/``CURRENT``) and the related stream (``DOC#<slug>``/``RELATED``)."""
    articles: dict[str, None] = {}
    related: dict[str, None] = {}
    for record in records:
        keys = record.get("dynamodb", {}).get("Keys", {})
        pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
        if pk.startswith("ARTICLE#") and sk == "CURRENT":
            articles.setdefault(pk.removeprefix("ARTICLE#"), None)
        elif pk.startswith("DOC#") and sk == "RELATED":
            related.setdefault(pk.removeprefix("DOC#"), None)
    return list(articles), list(related)


@dataclass
class PublishReport:
    written: int
    deleted: int
    invalidation_paths: int
    invalidation_id: str | None


@dataclass
class PublisherRuntime:
    publisher: SitePublisher
    bucket: S3SiteBucket
    invalidator: CloudFrontInvalidator
    lists: Any = None  # newsdrop.archive.marker.StreamLists: the changed lists read at once

    def publish(self, articles: list[str], related: list[str]) -> PublishReport:
        return self.apply(self._changes(articles, related))

    def _changes(self, articles: list[str], related: list[str]) -> SiteChanges:
        if self.lists is not None:  # an archive import's lists: its publish-all renders their pages
            related = self.lists.unmarked(related)
        return self.publisher.publish(articles, related)

    def handle(self, records: list[dict[str, Any]]) -> tuple[PublishReport, list[str]]:
        """A stream batch: (what was published, sequence numbers to report as failed). The whole batch at
        once; if that fails, record by record in order up to the first that fails (Lambda retries from
        it), still with one write pass and one invalidation. Retried records write the same pages."""
        try:
            return self.publish(*changed_slugs(records)), []
        except Exception:  # noqa: BLE001 (an AWS failure, or one article's: find which)
            log.warning("batch failed, publishing record by record", exc_info=True)
        merged, failed = SiteChanges(), []
        for record in records:
            try:
                merged.merge(self._changes(*changed_slugs([record])))
            except Exception:  # noqa: BLE001
                log.warning("record failed, reported for a retry", exc_info=True)
                failed = [record["dynamodb"]["SequenceNumber"]]
                break
        return self.apply(merged), failed

    def apply(self, changes: SiteChanges) -> PublishReport:
        self.bucket.apply(changes)
        paths = changes.invalidation_paths
        invalidation = self.invalidator.invalidate(paths)  # after the writes: nothing stale is re-cached
        sent = 1 if len(paths) > MAX_INVALIDATION_PATHS else len(paths)  # many paths: one "/*"
        return PublishReport(len(changes.puts), len(changes.deletes), sent, invalidation)


def build_runtime(
    *,
    articles_table: str,
    related_table: str,
    site_table: str,
    bucket: str,
    distribution_id: str,
    base_url: str,
    site_name: str = "Newsdrop",
    config_bucket: str | None = None,
    session: Any | None = None,
    index: Any | None = None,
) -> PublisherRuntime:
    import boto3

    from newsdrop.archive.marker import StreamLists
    from newsdrop.ingest.store import ArticleStore
    from newsdrop.related.store import DynamoDBRelatedIndex

    session = session or boto3.session.Session()
    dynamodb = session.resource("dynamodb")
    related = DynamoDBRelatedIndex(related_table, dynamodb)
    lists = StreamLists(related)
    settings = load_settings(
        SiteSettings(base_url=base_url, name=site_name), session.client("s3"), config_bucket
    )
    publisher = SitePublisher(
        ArticleStore(articles_table, dynamodb),
        lists.related_for,
        index if index is not None else DynamoDBSiteIndex(site_table, dynamodb),
        Renderer(settings),
    )
    return PublisherRuntime(
        publisher,
        S3SiteBucket(bucket, session.client("s3")),
        CloudFrontInvalidator(distribution_id, session.client("cloudfront")),
        lists,
    )


@cache
def publisher_runtime() -> PublisherRuntime:
    """Built on the first invocation (clients on first use), from the function's environment."""
    return build_runtime(
        articles_table=os.environ["ARTICLES_TABLE"],
        related_table=os.environ["RELATED_TABLE"],
        site_table=os.environ["SITE_TABLE"],
        bucket=os.environ["SITE_BUCKET"],
        distribution_id=os.environ["DISTRIBUTION_ID"],
        base_url=os.environ["SITE_BASE_URL"],
        site_name=os.environ.get("SITE_NAME", "Newsdrop"),
        config_bucket=os.environ.get("SITE_CONFIG_BUCKET"),  # its site.yaml (newsdrop.site.config)
    )


def static_files() -> list[tuple[str, bytes, str]]:
    """(key, bytes, content type) of every file under site/static/, published under /static/."""
    out = []
    if STATIC_DIR.is_dir():
        for path in sorted(p for p in STATIC_DIR.rglob("*") if p.is_file()):
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind in ("application/javascript", "text/javascript"):
                kind += "; charset=utf-8"
            out.append((f"static/{path.relative_to(STATIC_DIR).as_posix()}", path.read_bytes(), kind))
    return out


def publish_everything(
    runtime: PublisherRuntime,
    articles: Iterable[Any],
    site_index: DynamoDBSiteIndex | None,
    progress: Callable[[int], None] | None = None,
) -> PublishReport:
    """Re-render the whole site from the articles (after a template or design change): a fresh index
    built in memory, every object written, objects of articles no longer public deleted, one
    invalidation. ``site_index`` (the table) is then made to match."""
    from newsdrop.site.entries import InMemorySiteIndex

    built = InMemorySiteIndex()
    if site_index is not None:  # tags keep the labels they were published with
        built.labels.update(site_index.all_labels())
    publisher = runtime.publisher
    full = SitePublisher(publisher.articles, publisher.related, built, publisher.renderer, now=publisher.now)
    changes = full.publish_all(
        articles, progress, site_index.corrections() if site_index is not None else None
    )
    for key, body, kind in static_files():
        changes.put(key, body, kind)
    existing = runtime.bucket.s3.get_paginator("list_objects_v2").paginate(Bucket=runtime.bucket.bucket)
    for page in existing:
        for obj in page.get("Contents", []):
            # media/ holds the image function's renditions, which no page render writes
            if obj["Key"] not in changes.puts and not obj["Key"].startswith(MEDIA_PREFIX):
                changes.delete(obj["Key"])
    report = runtime.apply(changes)
    if site_index is not None:
        site_index.replace_all(built)
    return report
