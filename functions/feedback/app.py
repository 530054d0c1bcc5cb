"""SES events (configuration set -> SNS -> SQS): Send settles the delivery ledger; bounces and complaints
suppress the address."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.notify.wiring import feedback_runtime
from newsdrop.observability import BatchHandler, metrics

if TYPE_CHECKING:  # the event classes are Powertools' data classes, imported with the batch utilities
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def record_handler(record: SQSRecord) -> int:
    outcome = feedback_runtime().handle(record.body)
    if outcome.suppressed:
        metrics.add_metric(name="AddressesSuppressed", unit=MetricUnit.Count, value=outcome.suppressed)
    if outcome.accepted_late:  # before the sender's own write: it died, or lost SES's answer
        metrics.add_metric(name="DeliveriesSettledBySendEvent", unit=MetricUnit.Count, value=1)
    return outcome.suppressed


handler = BatchHandler(record_handler, "SQS")
