"""Fan-out queue -> page one (topic, shard) partition of the topic index -> send-queue batches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsdrop.event_models import queue_record
from newsdrop.notify.delivery import run_fanout_task
from newsdrop.notify.messages import FanoutTask
from newsdrop.notify.wiring import fanout_runtime
from newsdrop.observability import BatchHandler, initialised, logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel


def record_handler(record: SqsRecordModel) -> int:
    rt = fanout_runtime()
    task: FanoutTask = record.body  # validated by the batch processor (queue_record)
    logger.set_correlation_id(task.article.correlation_id)
    result = run_fanout_task(
        task,
        rt.subscribers,
        rt.send_queue,
        rt.fanout_queue,
        time_left=handler.time_left,
    )
    logger.info("fan-out page", extra={"slug": task.slug, "recipients": result.recipients})
    return result.recipients


handler = BatchHandler(record_handler, "SQS", model=lambda: queue_record(FanoutTask))

initialised()  # the end of the cold start's imports (newsdrop.observability)
