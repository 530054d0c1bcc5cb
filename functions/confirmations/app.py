"""Mail request queue -> confirmation and manage-link emails (cooldowns and mailbox limits applied here,
off the API's answer, so that no answer takes longer for one address than another)."""

from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from newsdrop.notify.subscribers import InvalidEmail, InvalidTopics, MailRequest
from newsdrop.notify.wiring import confirmations_runtime
from newsdrop.observability import batch_handler, logger


def record_handler(record: SQSRecord) -> str:
    try:
        request = MailRequest.model_validate_json(record.body)
        outcome = confirmations_runtime().subscription_service().handle(request)
    except (ValueError, InvalidEmail, InvalidTopics):  # not ours to retry: the API validated what it queued
        logger.warning("mail request dropped: unreadable", extra={"message_id": record.message_id})
        return "dropped"
    return outcome.value


handler = batch_handler(record_handler, EventType.SQS)
