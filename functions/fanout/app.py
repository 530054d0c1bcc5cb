"""Fan-out queue -> page one (topic, shard) partition of the topic index -> send-queue batches."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from newsdrop.delivery import FanoutTask, run_fanout_task
from newsdrop.observability import logger, tracer
from newsdrop.subscriber_store import fanout_runtime

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> int:
    rt = fanout_runtime()
    context = processor.lambda_context
    task = FanoutTask.model_validate_json(record.body)
    logger.set_correlation_id(task.article.correlation_id)
    result = run_fanout_task(
        task,
        rt.subscribers,
        rt.send_queue,
        rt.fanout_queue,
        time_left=(lambda: context.get_remaining_time_in_millis() / 1000) if context else None,
    )
    logger.info("fan-out page", extra={"slug": task.slug, "recipients": result.recipients})
    return result.recipients


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
