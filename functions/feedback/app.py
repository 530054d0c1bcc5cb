"""SES bounce/complaint events (configuration set -> SNS -> SQS) -> suppress the addresses."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from newsdrop.observability import logger, metrics, tracer
from newsdrop.subscriber_store import feedback_runtime

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> int:
    suppressed = feedback_runtime().handle_feedback(record.body)
    metrics.add_metric(name="AddressesSuppressed", unit=MetricUnit.Count, value=suppressed)
    return suppressed


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
