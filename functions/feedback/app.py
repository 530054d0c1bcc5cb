"""SES bounce/complaint events (configuration set -> SNS -> SQS) -> suppress the addresses."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from newsdrop.observability import logger, tracer
from newsdrop.subscriber_store import feedback_runtime

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> int:
    return feedback_runtime().handle_feedback(record.body)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
