"""SES events (configuration set -> SNS -> SQS): Send settles the delivery ledger; bounces and complaints
suppress the address."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from newsdrop.notify.wiring import feedback_runtime
from newsdrop.observability import batch_handler, metrics


def record_handler(record: SQSRecord) -> int:
    outcome = feedback_runtime().handle(record.body)
    if outcome.suppressed:
        metrics.add_metric(name="AddressesSuppressed", unit=MetricUnit.Count, value=outcome.suppressed)
    if outcome.accepted_late:  # before the sender's own write: it died, or lost SES's answer
        metrics.add_metric(name="DeliveriesSettledBySendEvent", unit=MetricUnit.Count, value=1)
    return outcome.suppressed


handler = batch_handler(record_handler, EventType.SQS)
