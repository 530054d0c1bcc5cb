"""The tasks of the archive, reindex and publish-all state machines (statemachines/*.asl.json): the
state names the task, newsdrop.archive.tasks does it. Step Functions retries a failed task (each is
idempotent for its item) and records what still fails; see docs/archive.md."""

from typing import Any

from newsdrop.archive.tasks import run_task
from newsdrop.archive.wiring import archive_context, with_deadline
from newsdrop.observability import initialised, logger, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: Any) -> dict:
    logger.append_keys(run=event.get("run"), task=event.get("task"), item=event.get("item"))
    try:
        result = run_task(with_deadline(archive_context(), context.get_remaining_time_in_millis), event)
        logger.info("archive task done")
        return result
    finally:  # the next invocation (and, locally, the next function) starts without them
        logger.remove_keys(["run", "task", "item"])


initialised()  # the end of the cold start's imports (newsdrop.observability)
