"""Send queue -> SES, exactly once per (article, subscriber) through the delivery ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.event_models import queue_record
from newsdrop.notify import email as _renderer  # noqa: F401 (every first record renders: paid at import, where the cold start is measured)
from newsdrop.notify.delivery import RetryLater
from newsdrop.notify.messages import SendBatch
from newsdrop.notify.wiring import sender_runtime
from newsdrop.observability import BatchHandler, initialised, logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel


def record_handler(record: SqsRecordModel) -> int:
    rt = sender_runtime()
    batch: SendBatch = record.body  # validated by the batch processor (queue_record)
    logger.set_correlation_id(batch.article.correlation_id)
    try:
        report = rt.sender.send_batch(
            batch,
            time_left=handler.time_left,
        )
    except RetryLater as exc:
        rt.retry_soon(record.receiptHandle, exc)  # come back after a backoff, not the full visibility timeout
        raise
    logger.info("emails sent", extra={"slug": batch.slug, "sent": report.sent})
    metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=report.sent)
    metrics.add_metric(name="EmailsSuppressed", unit=MetricUnit.Count, value=report.skipped_inactive)
    metrics.add_metric(name="EmailsFailed", unit=MetricUnit.Count, value=report.rejected)
    return report.sent


handler = BatchHandler(record_handler, "SQS", model=lambda: queue_record(SendBatch))

initialised()  # the end of the cold start's imports (newsdrop.observability)
