"""Mail request queue -> confirmation and manage-link emails (cooldowns and mailbox limits applied here,
off the API's answer, so that no answer takes longer for one address than another)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsdrop.event_models import queue_record
from newsdrop.notify import email as _renderer  # noqa: F401 (a first request renders a mail: paid at import, where the cold start is measured)
from newsdrop.notify.messages import MailRequest
from newsdrop.notify.subscribers import InvalidEmail, InvalidTopics
from newsdrop.notify.wiring import confirmations_runtime
from newsdrop.observability import BatchHandler, initialised, logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel


def record_handler(record: SqsRecordModel) -> str:
    # A body that is not a MailRequest never gets here: the batch processor validates it (queue_record)
    # and reports it failed, so it reaches the queue's dead-letter queue after its retries.
    try:
        outcome = confirmations_runtime().subscription_service().handle(record.body)
    except (InvalidEmail, InvalidTopics):  # an address or topic refused: nothing a retry would change
        logger.warning("mail request dropped: refused", extra={"message_id": record.messageId})
        return "dropped"
    return outcome.value


handler = BatchHandler(record_handler, "SQS", model=lambda: queue_record(MailRequest))

initialised()  # the end of the cold start's imports (newsdrop.observability)
