"""Image queue (image drops, forwarded by ingest) -> renditions in the site bucket, attached to the
articles that name them; a bad image is quarantined with a reason, never retried."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.event_models import queue_record
from newsdrop.images.wiring import image_runtime
from newsdrop.ingest.drops import DroppedObject
from newsdrop.observability import BatchHandler, initialised, logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel


def record_handler(record: SqsRecordModel) -> str:
    dropped: DroppedObject = record.body  # validated by the batch processor (queue_record)
    logger.set_correlation_id(dropped.drop_id)
    outcome = image_runtime().handle(dropped)
    metrics.add_metric(name=f"Images{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("image handled", extra=outcome.as_dict())
    return outcome.status


handler = BatchHandler(record_handler, "SQS", model=lambda: queue_record(DroppedObject))

initialised()  # the end of the cold start's imports (newsdrop.observability)
