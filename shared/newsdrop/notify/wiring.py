"""Composition roots of the notification functions: one ``*_runtime()`` per function, built once per
container from the environment the template gives it. The handlers in ``functions/<name>/app.py`` call
their runtime and the domain; nothing else reads the environment or makes clients.

Every notifications function gets the same environment from the template:
#   SUBSCRIBERS_TABLE, DELIVERIES_TABLE, SIGNING_SECRET_PARAMETER, SENDER_ADDRESS, SITE_BASE_URL,
#   SEND_QUEUE_URL, FANOUT_QUEUE_URL (required); PUBLIC_API_BASE_URL (custom domain) or API_BASE_URL
#   (the HTTP API's URL; the subscribe function uses the request's host instead), SITE_NAME, SENDER_NAME,
  UNSUBSCRIBE_MAILTO, SES_CONFIGURATION_SET, SEND_RATE_PER_WORKER (optional). The subscribe and
  confirmations functions also get MAIL_REQUEST_QUEUE_URL and the limits (CLIENT_MAIL_BURST,
  MAILBOX_MAILS_PER_DAY, DOMAIN_MAILS_PER_HOUR, GLOBAL_MAILS_PER_HOUR), the subscribe function SITE_TABLE
  (topics must be the site's tags); the unsubscribe-mail function INBOUND_MAIL_BUCKET.
Clients are made on first use, so importing a handler makes no AWS call.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from newsdrop.notify.delivery import (
    RateLimiter,
    RetryLater,
    Sender,
    parse_send_event,
    parse_ses_event,
    snapshot_from_article,
    start_job,
)
from newsdrop.notify.limits import Bucket, LimitPolicy
from newsdrop.notify.mailer import Mailer, MailSettings, SesMailer
from newsdrop.notify.store import (
    DynamoDeliveryStore,
    DynamoLimits,
    DynamoSubscriberStore,
    DynamoTagCatalog,
    SqsMailRequestQueue,
    SqsQueue,
)
from newsdrop.notify.subscribers import SubscriptionService, suppress_addresses
from newsdrop.notify.tokens import TokenSigner

if TYPE_CHECKING:
    from newsdrop.models import Article
    from newsdrop.notify.announcements import FirstPublications

logger = logging.getLogger(__name__)


def _required(name: str) -> str:
    """A variable only some of the notification functions get (the others never build what needs it)."""
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: the template must give it to this function")
    return value


def load_signing_secret() -> bytes:
    """The HMAC key: the SSM SecureString named by SIGNING_SECRET_PARAMETER, read (decrypted) once per
    container through the Powertools parameters cache."""
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(os.environ["SIGNING_SECRET_PARAMETER"], decrypt=True, max_age=24 * 3600)
    return value.encode() if isinstance(value, str) else bytes(value)


def mail_settings_from_env() -> MailSettings:
    env = os.environ
    return MailSettings(
        from_address=env["SENDER_ADDRESS"],
        from_name=env.get("SENDER_NAME") or None,
        site_name=env.get("SITE_NAME") or "Newsdrop",
        site_base_url=env["SITE_BASE_URL"],
        api_base_url=env.get("PUBLIC_API_BASE_URL") or env.get("API_BASE_URL") or "",
        unsubscribe_mailto=env.get("UNSUBSCRIBE_MAILTO") or None,
        configuration_set=env.get("SES_CONFIGURATION_SET") or None,
    )


def _dynamodb():
    from newsdrop import aws

    return aws.resource("dynamodb")


def _client(service: str):
    from newsdrop import aws

    return aws.client(service)


def limit_policy_from_env() -> LimitPolicy:
    env, default = os.environ, LimitPolicy()
    return LimitPolicy(
        api=default.api,
        mail=Bucket("mail", int(env.get("CLIENT_MAIL_BURST") or default.mail.burst), default.mail.interval),
        mailbox_per_requester_day=default.mailbox_per_requester_day,
        mailbox_per_day=int(env.get("MAILBOX_MAILS_PER_DAY") or default.mailbox_per_day),
        domain_per_hour=int(env.get("DOMAIN_MAILS_PER_HOUR") or default.domain_per_hour),
        global_per_hour=int(env.get("GLOBAL_MAILS_PER_HOUR") or default.global_per_hour),
    )


def _cap_reached() -> None:
    """One data point of MailCapReached (the template's alarm watches it)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name="MailCapReached", unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="service", value=os.environ.get("POWERTOOLS_SERVICE_NAME", "newsdrop"))


# The runtimes are NamedTuples, like the package's records (why: newsdrop/notify/__init__.py).
class SubscriptionRuntime(NamedTuple):
    settings: MailSettings
    signer: TokenSigner
    subscribers: DynamoSubscriberStore
    mailer: Mailer
    queue: SqsMailRequestQueue | None = None
    limits: DynamoLimits | None = None
    policy: LimitPolicy | None = None
    catalog: DynamoTagCatalog | None = None

    def subscription_service(self, request_base_url: str | None = None) -> SubscriptionService:
        """API_BASE_URL wins; without it, links point back at the host the request came to."""
        settings = self.settings
        if not settings.api_base_url and request_base_url:
            settings = settings._replace(api_base_url=request_base_url)
        return SubscriptionService(
            self.subscribers,
            self.mailer,
            self.signer,
            settings,
            queue=self.queue,
            limits=self.limits,
            policy=self.policy,
            catalog=self.catalog,
            on_cap=_cap_reached,
        )


def _subscription_runtime(*, with_queue: bool) -> SubscriptionRuntime:
    settings = mail_settings_from_env()
    dynamodb = _dynamodb()
    table = os.environ["SUBSCRIBERS_TABLE"]
    return SubscriptionRuntime(
        settings=settings,
        signer=TokenSigner(load_signing_secret()),
        subscribers=DynamoSubscriberStore(dynamodb, table),
        mailer=SesMailer(_client("sesv2"), configuration_set=settings.configuration_set),
        queue=SqsMailRequestQueue(_client("sqs"), _required("MAIL_REQUEST_QUEUE_URL"))
        if with_queue
        else None,
        limits=DynamoLimits(dynamodb, table),
        policy=limit_policy_from_env(),
        # the subscribe function checks topics against the site's tags; the confirmations function has no need
        catalog=DynamoTagCatalog(dynamodb, site_table)
        if (site_table := os.environ.get("SITE_TABLE"))
        else None,
    )


@cache
def subscription_runtime() -> SubscriptionRuntime:
    """The subscribe function (HTTP API): validates, limits per client, queues the emails."""
    return _subscription_runtime(with_queue=True)


def own_origins(event: dict[str, Any]) -> set[str]:
    """The origins a form post may come from: the site's (SITE_BASE_URL), the API's public one, and the
    host the request came to (`newsdrop dev` serves the site and the API on one origin)."""
    from urllib.parse import urlsplit

    host = str((event.get("requestContext") or {}).get("domainName") or "").lower()
    origins = {f"https://{host}", f"http://{host}"} if host else set()
    for url in (os.environ.get("SITE_BASE_URL"), os.environ.get("PUBLIC_API_BASE_URL")):
        parts = urlsplit(url or "")
        if parts.scheme and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}".lower())
    return origins


@cache
def origin_guard():
    """The check that a request came through the distribution (ORIGIN_SECRET_ARN: the secret whose value
    CloudFront adds as a header); None where no secret is configured, as in a test of the API alone."""
    from newsdrop.notify.origin import OriginGuard

    secret = os.environ.get("ORIGIN_SECRET_ARN")
    return OriginGuard(secret, client=lambda: _client("secretsmanager")) if secret else None


@cache
def confirmations_runtime() -> SubscriptionRuntime:
    """The confirmations function (the mail request queue): cooldowns, mailbox limits, SES."""
    return _subscription_runtime(with_queue=False)


class UnsubscribeMailRuntime(NamedTuple):
    service: SubscriptionService
    s3: Any
    bucket: str
    prefix: str = ""

    def read_message(self, key: str) -> bytes | None:
        """The stored message SES wrote (None if it is not there: nothing to retry for)."""
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None


@cache
def unsubscribe_mail_runtime() -> UnsubscribeMailRuntime:
    settings = mail_settings_from_env()
    service = SubscriptionService(
        DynamoSubscriberStore(_dynamodb(), os.environ["SUBSCRIBERS_TABLE"]),
        SesMailer(_client("sesv2"), configuration_set=settings.configuration_set),
        TokenSigner(load_signing_secret()),
        settings,
    )
    return UnsubscribeMailRuntime(
        service=service,
        s3=_client("s3"),
        bucket=_required("INBOUND_MAIL_BUCKET"),
        prefix=os.environ.get("INBOUND_MAIL_PREFIX", ""),
    )


class FeedbackOutcome(NamedTuple):
    suppressed: int = 0  # addresses suppressed by a permanent bounce or a complaint
    accepted_late: bool = False  # a Send event closed a claim its sender left 'sending'


class FeedbackRuntime(NamedTuple):
    signer: TokenSigner
    subscribers: DynamoSubscriberStore
    deliveries: DynamoDeliveryStore

    def handle(self, message: dict[str, Any]) -> FeedbackOutcome:
        """One SES event from the feedback queue, out of its SNS envelope and validated
        (``newsdrop.event_models.mail_feedback``): a Send event settles the delivery ledger, a bounce or
        complaint suppresses."""
        accepted = parse_send_event(message)
        if accepted is not None:
            late = self.deliveries.confirm_accepted(
                accepted.slug, accepted.sid, accepted.message_id, now=time.time()
            )
            return FeedbackOutcome(accepted_late=late)
        feedback = parse_ses_event(message)
        if feedback is None or not feedback.permanent:
            logger.info("feedback ignored", extra={"kind": getattr(feedback, "kind", None)})
            return FeedbackOutcome()
        changed = suppress_addresses(self.subscribers, self.signer, feedback.addresses, feedback.kind)
        if not feedback.addresses and feedback.sid:
            changed += int(self.subscribers.suppress(feedback.sid, feedback.kind, now=int(time.time())))
        return FeedbackOutcome(suppressed=changed)


@cache
def feedback_runtime() -> FeedbackRuntime:
    return FeedbackRuntime(
        signer=TokenSigner(load_signing_secret()),
        subscribers=DynamoSubscriberStore(_dynamodb(), os.environ["SUBSCRIBERS_TABLE"]),
        deliveries=DynamoDeliveryStore(_dynamodb(), os.environ["DELIVERIES_TABLE"]),
    )


class NotifyRuntime(NamedTuple):
    subscribers: DynamoSubscriberStore
    deliveries: DynamoDeliveryStore
    fanout_queue: SqsQueue
    first_publications: FirstPublications
    max_age: timedelta

    def start_job(self, article: Article) -> str:
        return start_job(
            snapshot_from_article(article),
            self.deliveries,
            self.fanout_queue,
            followed=self.subscribers.followed_among,
        )


@cache
def notify_runtime() -> NotifyRuntime:
    # here, not at the top: only the notify function reads articles (the lifecycle rules and the stored
    # records), and it imports them with its handler; the other notification functions never do
    from newsdrop.notify.announcements import FirstPublications

    return NotifyRuntime(
        subscribers=DynamoSubscriberStore(_dynamodb(), os.environ["SUBSCRIBERS_TABLE"]),
        deliveries=DynamoDeliveryStore(_dynamodb(), os.environ["DELIVERIES_TABLE"]),
        fanout_queue=SqsQueue(_client("sqs"), os.environ["FANOUT_QUEUE_URL"]),
        first_publications=FirstPublications(_dynamodb(), os.environ["DELIVERIES_TABLE"]),
        max_age=timedelta(hours=float(os.environ.get("NOTIFY_MAX_AGE_HOURS", "48"))),
    )


class FanoutRuntime(NamedTuple):
    subscribers: DynamoSubscriberStore
    send_queue: SqsQueue
    fanout_queue: SqsQueue


@cache
def fanout_runtime() -> FanoutRuntime:
    sqs = _client("sqs")
    return FanoutRuntime(
        subscribers=DynamoSubscriberStore(_dynamodb(), os.environ["SUBSCRIBERS_TABLE"]),
        send_queue=SqsQueue(sqs, os.environ["SEND_QUEUE_URL"]),
        fanout_queue=SqsQueue(sqs, os.environ["FANOUT_QUEUE_URL"]),
    )


class SenderRuntime(NamedTuple):
    sender: Sender
    sqs: Any
    queue_url: str

    def retry_soon(self, receipt_handle: str, exc: RetryLater) -> None:
        """Make a partly handled message visible again after a short jittered backoff instead of the
        queue's full visibility timeout (throttling clears in seconds); best effort."""
        try:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=exc.retry_after
            )
        except Exception:  # the message still comes back, later
            logger.warning("could not shorten the visibility timeout", exc_info=True)


@cache
def sender_runtime() -> SenderRuntime:
    settings = mail_settings_from_env()
    dynamodb = _dynamodb()
    rate = float(os.environ.get("SEND_RATE_PER_WORKER") or 0)
    sender = Sender(
        profiles=DynamoSubscriberStore(dynamodb, os.environ["SUBSCRIBERS_TABLE"]),
        ledger=DynamoDeliveryStore(dynamodb, os.environ["DELIVERIES_TABLE"]),
        mailer=SesMailer(_client("sesv2"), configuration_set=settings.configuration_set),
        signer=TokenSigner(load_signing_secret()),
        settings=settings,
        limiter=RateLimiter(rate) if rate > 0 else None,
    )
    return SenderRuntime(sender=sender, sqs=_client("sqs"), queue_url=os.environ["SEND_QUEUE_URL"])
