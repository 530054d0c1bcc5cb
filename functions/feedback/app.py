"""SES events (configuration set -> SNS -> SQS): Send settles the delivery ledger; bounces and complaints
suppress the address."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.event_models import mail_feedback
from newsdrop.notify.wiring import feedback_runtime
from newsdrop.observability import BatchHandler, initialised, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel


def record_handler(record: SqsRecordModel) -> int:
    outcome = feedback_runtime().handle(record.body.ses_event)  # validated: mail_feedback
    if outcome.suppressed:
        metrics.add_metric(name="AddressesSuppressed", unit=MetricUnit.Count, value=outcome.suppressed)
    if outcome.accepted_late:  # before the sender's own write: it died, or lost SES's answer
        metrics.add_metric(name="DeliveriesSettledBySendEvent", unit=MetricUnit.Count, value=1)
    return outcome.suppressed


handler = BatchHandler(record_handler, "SQS", model=mail_feedback)

initialised()  # the end of the cold start's imports (newsdrop.observability)
