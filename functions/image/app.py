"""Image queue (image drops, forwarded by ingest) -> renditions in the site bucket, attached to the
articles that name them; a bad image is quarantined with a reason, never retried."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.images.processor import dropped_from_json
from newsdrop.images.wiring import image_runtime
from newsdrop.observability import BatchHandler, logger, metrics

if TYPE_CHECKING:  # the event classes are Powertools' data classes, imported with the batch utilities
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def record_handler(record: SQSRecord) -> str:
    dropped = dropped_from_json(record.body)
    logger.set_correlation_id(dropped.drop_id)
    outcome = image_runtime().handle(dropped)
    metrics.add_metric(name=f"Images{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("image handled", extra=outcome.as_dict())
    return outcome.status


handler = BatchHandler(record_handler, "SQS")
