"""The image function's domain: one dropped image becomes renditions in the site bucket attached to the
articles that name it, or a quarantined file with a reason, never neither. No message reaches the
dead-letter queue for a bad image: only AWS failures raise (and are retried)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from newsdrop.images.refs import ImageInfo
from newsdrop.images.store import ImageRecords
from newsdrop.ingest.drop_bucket import DropBucket
from newsdrop.ingest.drops import DroppedObject, sequencer_order
from newsdrop.ingest.store import ArticleStore
from newsdrop.lifecycle import now
from newsdrop.models import DropOutcome, RejectedInput, RejectReason

# Content-addressed keys never change content: browsers and CloudFront keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


class Renderer(Protocol):
    """newsdrop.images.process.process (Pillow), injected so this module imports without it."""

    def __call__(self, data: bytes, key: str) -> Any: ...


class Quarantine(Protocol):
    """Ingest's quarantine (``Ingestor.quarantine``; the image function's wiring builds it lazily)."""

    def quarantine(self, obj: DroppedObject, rejected: RejectedInput) -> DropOutcome: ...


class ImageProcessor:
    def __init__(
        self,
        articles: ArticleStore,
        bucket: DropBucket,
        site_bucket: str,
        render: Renderer,
        *,
        max_bytes: int,
        ingest: Quarantine,
        clock: Callable[[], datetime] = now,
    ):
        self.articles = articles
        self.records = ImageRecords(articles)
        self.bucket = bucket
        self.site_bucket = site_bucket
        self.render = render
        self.max_bytes = max_bytes
        self.ingest = ingest  # ingest's quarantine (same keys, same report) for rejected images
        self.clock = clock

    def handle(self, obj: DroppedObject) -> DropOutcome:
        outcome = self._handle(obj)
        self.articles.record_drop(outcome, drop_id=obj.sequencer or obj.drop_id, event_time=obj.event_time)
        return outcome

    def _handle(self, obj: DroppedObject) -> DropOutcome:
        known = self.records.get(obj.key)
        if known is not None and obj.sequencer and known[1]:
            if sequencer_order(obj.sequencer) < sequencer_order(known[1]):
                return DropOutcome(source=obj.key, status="unchanged")  # an older upload, arriving late
            if obj.sequencer == known[1]:  # this very drop again: attach (a crash may have cut it short)
                return self._attached(obj.key, known[0], "unchanged")
        try:
            if obj.size is not None and obj.size > self.max_bytes:
                from newsdrop.images.process import too_large

                raise RejectedInput(RejectReason.TOO_LARGE, too_large(obj.size))
            data = self.bucket.read(obj.bucket, obj.key, obj.version_id, self.max_bytes)
            processed = self.render(data, obj.key)
        except RejectedInput as rejected:
            return self.ingest.quarantine(obj, rejected)
        s3 = self.bucket.s3
        for rendition in processed.renditions:
            s3.put_object(
                Bucket=self.site_bucket,
                Key=processed.info.key(rendition.width, rendition.ext),
                Body=rendition.body,
                ContentType=rendition.content_type,
                CacheControl=IMMUTABLE,
            )
        # The record after the renditions (a page never names one not written yet), before the users
        # are read (ingest writes its USES item before it looks for the record).
        self.records.put(obj.key, processed.info, obj.sequencer)
        return self._attached(obj.key, processed.info, "stored")

    def _attached(self, key: str, info: ImageInfo, status: str) -> DropOutcome:
        attached = [slug for slug in self.records.users(key) if self.records.attach(slug, key, info)]
        widths = ", ".join(str(w) for w in info.widths)
        detail = f"{info.width} x {info.height} px; renditions {widths} px wide (WebP and JPEG)"
        if attached:
            detail += f"; added to {', '.join(attached)}"
        return DropOutcome(source=key, status=status, detail=detail)  # type: ignore[arg-type]
