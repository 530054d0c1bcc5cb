"""Fan-out queue -> page one (topic, shard) partition of the topic index -> send-queue batches."""

from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from newsdrop.notify.delivery import FanoutTask, run_fanout_task
from newsdrop.notify.wiring import fanout_runtime
from newsdrop.observability import batch_handler, logger


def record_handler(record: SQSRecord) -> int:
    rt = fanout_runtime()
    context = handler.processor.lambda_context
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


handler = batch_handler(record_handler, EventType.SQS)
