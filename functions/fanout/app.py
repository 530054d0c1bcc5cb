"""Fan-out queue -> page one (topic, shard) partition of the topic index -> send-queue batches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsdrop.notify.delivery import FanoutTask, run_fanout_task
from newsdrop.notify.wiring import fanout_runtime
from newsdrop.observability import BatchHandler, logger

if TYPE_CHECKING:  # the event classes are Powertools' data classes, imported with the batch utilities
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def record_handler(record: SQSRecord) -> int:
    rt = fanout_runtime()
    task = FanoutTask.from_json(record.body)
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


handler = BatchHandler(record_handler, "SQS")
