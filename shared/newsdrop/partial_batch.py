"""Partial batch responses for the queue and stream consumers (``ReportBatchItemFailures``): each record
parsed with Powertools' Parser and the function's record model, handled on its own, and the ones that
failed reported by id, so only they are retried.

It takes the place of Powertools' batch processor, for one measured reason: the first invocation of a
consumer must stay within 1.6x the CPU of a bare ``import boto3`` (docs/benchmarks.md, cold start), and
``aws_lambda_powertools.utilities.batch`` costs about 0.14x of it on its own (it imports every event
source data class and asyncio), which alone put every consumer over. What it did for us is kept here:
a record that does not validate is logged with the fields at fault and reported without reaching the
record handler; a record whose handler raises is logged and reported; the others go on. No consumer reads
a FIFO queue, so a failure never holds up the records after it (a FIFO consumer would have to report
them too, to keep the order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from newsdrop.observability import logger

# The id Lambda wants back for a failed record, read from the raw record: it is there even when the
# record does not validate.
ITEM_ID: dict[str, Callable[[dict[str, Any]], Any]] = {
    "SQS": lambda record: record["messageId"],
    "DynamoDBStreams": lambda record: record["dynamodb"]["SequenceNumber"],
}


def process_partial_batch(
    event: dict[str, Any], record_handler: Callable[[Any], Any], model: type, event_type: str
) -> dict[str, list[dict[str, str]]]:
    """``{"batchItemFailures": [{"itemIdentifier": id}, ...]}`` for the records that did not validate or
    whose handler raised. An event that is not a batch of records at all raises ValueError: the
    invocation fails, and the event source retries it as a whole."""
    from pydantic import ValidationError

    from newsdrop.event_models import parse

    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise ValueError(f"not a {event_type} batch: the event has no list of Records")
    item_id = ITEM_ID[event_type]
    failures = []
    for record in records:
        try:
            parsed = parse(record, model)
        except ValidationError as exc:
            logger.warning(
                "record rejected: it does not validate",
                extra={"model": exc.title, "errors": exc.errors(include_url=False, include_input=False)},
            )
            failures.append({"itemIdentifier": item_id(record)})
            continue
        try:
            record_handler(parsed)
        except Exception:  # retried by the event source, then dead-lettered; the others go on
            logger.exception("record failed", extra={"item": item_id(record)})
            failures.append({"itemIdentifier": item_id(record)})
    return {"batchItemFailures": failures}
