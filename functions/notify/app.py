"""Articles stream -> one notification job per article, the first time it becomes public, if fresh.

Records are INSERT/MODIFY of sk=CURRENT items: a new article, or a transition (draft or scheduled ->
published). The decision is `newsdrop.lifecycle.should_announce`; the durable first-publication
marker makes it once per article, whatever is replayed or published again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.event_models import stream_record
from newsdrop.ingest.store import article_from_item
from newsdrop.notify.announcements import announce_if_first_publication
from newsdrop.notify.wiring import notify_runtime
from newsdrop.observability import BatchHandler, initialised, logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models.dynamodb import DynamoDBStreamRecordModel


def _article(image):
    if not image or image.get("sk") != "CURRENT" or not str(image.get("pk", "")).startswith("ARTICLE#"):
        return None
    return article_from_item(dict(image))


def record_handler(record: DynamoDBStreamRecordModel) -> str:
    # the event source mapping filters these already; checked again so a replay or a local run can't slip
    if record.eventName not in ("INSERT", "MODIFY"):
        return "ignored"
    new, old = _article(record.dynamodb.NewImage), _article(record.dynamodb.OldImage)
    if new is not None:
        logger.set_correlation_id(new.correlation_id)
    rt = notify_runtime()
    outcome = announce_if_first_publication(old, new, rt.first_publications, rt.start_job, max_age=rt.max_age)
    if outcome != "ignored":
        logger.info("notification job", extra={"slug": new.slug, "outcome": outcome})
    if outcome == "started":
        metrics.add_metric(name="NotificationJobsStarted", unit=MetricUnit.Count, value=1)
    return outcome


handler = BatchHandler(record_handler, "DynamoDBStreams", model=stream_record)

initialised()  # the end of the cold start's imports (newsdrop.observability)
