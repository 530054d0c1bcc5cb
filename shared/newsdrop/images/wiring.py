"""The image function's composition root: environment -> ImageProcessor (Pillow imported here, the only
function whose layers carry it)."""

from __future__ import annotations

import os
from functools import cache, cached_property
from typing import TYPE_CHECKING

from newsdrop.images.processor import ImageProcessor
from newsdrop.ingest.drop_bucket import DropBucket
from newsdrop.ingest.store import ArticleStore

if TYPE_CHECKING:
    from newsdrop.ingest.drops import DroppedObject
    from newsdrop.models import DropOutcome, RejectedInput


class IngestQuarantine:
    """Ingest's quarantine (same keys, same report) for a rejected image, the ingestor built on the first
    one: it imports the article model and the parsers, which no accepted image needs (docs/benchmarks.md,
    cold start)."""

    def __init__(self, articles: ArticleStore, bucket: DropBucket) -> None:
        self.articles, self.bucket = articles, bucket

    @cached_property
    def _ingestor(self):
        from newsdrop.ingest.ingestor import Ingestor

        return Ingestor(
            self.articles,
            self.bucket,
            incoming_prefix=os.environ.get("INCOMING_PREFIX", "incoming/"),
            quarantine_prefix=os.environ.get("QUARANTINE_PREFIX", "quarantine/"),
        )

    def quarantine(self, obj: DroppedObject, rejected: RejectedInput) -> DropOutcome:
        return self._ingestor.quarantine(obj, rejected)


@cache
def image_runtime() -> ImageProcessor:
    from newsdrop.images.process import MAX_IMAGE_BYTES, process

    articles = ArticleStore(os.environ["ARTICLES_TABLE"])
    bucket = DropBucket()
    return ImageProcessor(
        articles,
        bucket,
        os.environ["SITE_BUCKET"],
        process,
        max_bytes=MAX_IMAGE_BYTES,
        ingest=IngestQuarantine(articles, bucket),
    )
