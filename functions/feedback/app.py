"""SES bounce/complaint events (configuration set -> SNS -> SQS) -> suppress the addresses."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from newsdrop.observability import batch_handler, metrics
from newsdrop.subscriber_store import feedback_runtime


def record_handler(record: SQSRecord) -> int:
    suppressed = feedback_runtime().handle_feedback(record.body)
    metrics.add_metric(name="AddressesSuppressed", unit=MetricUnit.Count, value=suppressed)
    return suppressed


handler = batch_handler(record_handler, EventType.SQS)
