"""Articles stream -> one notification job per article, the first time it becomes public, if fresh.

Records are INSERT/MODIFY of sk=CURRENT items: a new article, or a transition (draft or scheduled ->
published). The decision is `newsdrop.lifecycle.should_announce`; the durable first-publication
marker makes it once per article, whatever is replayed or published again.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.ingest.store import article_from_item
from newsdrop.lifecycle import became_public, should_announce
from newsdrop.notify.announcements import FirstPublications
from newsdrop.notify.delivery import snapshot_from_article, start_job
from newsdrop.notify.wiring import notify_runtime
from newsdrop.observability import BatchHandler, logger, metrics

if TYPE_CHECKING:  # the event classes are Powertools' data classes, imported with the batch utilities
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

MAX_AGE = timedelta(hours=float(os.environ.get("NOTIFY_MAX_AGE_HOURS", "48")))
_first_publications: FirstPublications | None = None


def first_publications() -> FirstPublications:
    global _first_publications
    if _first_publications is None:
        _first_publications = FirstPublications(boto3.resource("dynamodb"), os.environ["DELIVERIES_TABLE"])
    return _first_publications


def _article(image):
    if not image or image.get("sk") != "CURRENT" or not str(image.get("pk", "")).startswith("ARTICLE#"):
        return None
    return article_from_item(dict(image))


def record_handler(record: DynamoDBRecord) -> str:
    # the event source mapping filters these already; checked again so a replay or a local run can't slip
    if record.event_name is None or record.event_name.name not in ("INSERT", "MODIFY") or not record.dynamodb:
        return "ignored"
    new, old = _article(record.dynamodb.new_image), _article(record.dynamodb.old_image)
    if new is None or not became_public(old, new):
        return "ignored"  # a correction, a draft saved, a scheduled article waiting, an expiry
    logger.set_correlation_id(new.correlation_id)
    first = first_publications().record(
        new.slug, new.revision, should_announce(new, MAX_AGE), now=int(time.time())
    )
    if first.revision != new.revision or not first.announce:
        logger.info("not announced", extra={"slug": new.slug, "first_revision": first.revision,
                                            "announce": first.announce})  # fmt: skip
        return "not_announced"
    rt = notify_runtime()
    outcome = start_job(
        snapshot_from_article(new),
        rt.deliveries,
        rt.fanout_queue,
        followed=rt.subscribers.followed_among,
    )
    logger.info("notification job", extra={"slug": new.slug, "outcome": outcome})
    if outcome == "started":
        metrics.add_metric(name="NotificationJobsStarted", unit=MetricUnit.Count, value=1)
    return outcome


handler = BatchHandler(record_handler, "DynamoDBStreams")
