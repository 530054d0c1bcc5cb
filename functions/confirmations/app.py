"""Mail request queue -> confirmation and manage-link emails (cooldowns and mailbox limits applied here,
off the API's answer, so that no answer takes longer for one address than another)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsdrop.notify.subscribers import InvalidEmail, InvalidTopics, MailRequest
from newsdrop.notify.wiring import confirmations_runtime
from newsdrop.observability import BatchHandler, logger

if TYPE_CHECKING:  # the event classes are Powertools' data classes, imported with the batch utilities
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def record_handler(record: SQSRecord) -> str:
    try:
        request = MailRequest.from_json(record.body)
        outcome = confirmations_runtime().subscription_service().handle(request)
    except (ValueError, InvalidEmail, InvalidTopics):  # not ours to retry: the API validated what it queued
        logger.warning("mail request dropped: unreadable", extra={"message_id": record.message_id})
        return "dropped"
    return outcome.value


handler = BatchHandler(record_handler, "SQS")
