"""The image function's composition root: environment -> ImageProcessor (Pillow imported here, the only
function whose layers carry it)."""

from __future__ import annotations

import os
from functools import cache

from newsdrop.images.processor import ImageProcessor
from newsdrop.ingest.drop_bucket import DropBucket
from newsdrop.ingest.ingestor import Ingestor
from newsdrop.ingest.store import ArticleStore


@cache
def image_runtime() -> ImageProcessor:
    from newsdrop.images.process import MAX_IMAGE_BYTES, process

    articles = ArticleStore(os.environ["ARTICLES_TABLE"])
    bucket = DropBucket()
    ingest = Ingestor(
        articles,
        bucket,
        incoming_prefix=os.environ.get("INCOMING_PREFIX", "incoming/"),
        quarantine_prefix=os.environ.get("QUARANTINE_PREFIX", "quarantine/"),
    )
    return ImageProcessor(
        articles, bucket, os.environ["SITE_BUCKET"], process, max_bytes=MAX_IMAGE_BYTES, ingest=ingest
    )
