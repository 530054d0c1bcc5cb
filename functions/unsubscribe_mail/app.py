"""SES receipt rule -> unsubscribe by email (``List-Unsubscribe: <mailto:...?subject=unsubscribe TOKEN>``)."""

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.event_models import parse, received_mail
from newsdrop.notify.inbound import received_mails, token_in_message, token_in_text
from newsdrop.notify.tokens import InvalidToken
from newsdrop.notify.wiring import unsubscribe_mail_runtime
from newsdrop.observability import initialised, logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event, context):
    received = parse(event, received_mail())  # a ValidationError naming the field, before anything is read
    rt = unsubscribe_mail_runtime()
    done = 0
    for mail in received_mails(received, prefix=rt.prefix):
        token = token_in_text(mail.subject) or token_in_message(rt.read_message(mail.object_key) or b"")
        try:
            rt.service.unsubscribe(token)  # idempotent: a second delivery of the same mail changes nothing
            done += 1
        except InvalidToken:  # a stranger's mail, or a mangled token: nothing to retry
            logger.info("unsubscribe mail without a valid token", extra={"message_id": mail.message_id})
    metrics.add_metric(name="UnsubscribedByMail", unit=MetricUnit.Count, value=done)
    return {"unsubscribed": done}


initialised()  # the end of the cold start's imports (newsdrop.observability)
