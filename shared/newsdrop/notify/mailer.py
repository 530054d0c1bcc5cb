"""Sending email: the settings every message is made with, the message as SES gets it, the ``Mailer``
interface and ``SesMailer``, the only code that talks to SES (v2 ``SendEmail`` with ``Content.Raw``),
which turns its errors into the kinds the callers act on: ``MailThrottled`` (back off, retry later),
``MailRejected`` (this message will never go: don't retry) and anything else (transient).

Apart from the rendering (``newsdrop.notify.email``) so that the functions that only name these (fan-out,
notify, feedback, the stores) do not import the standard library's email package and the renderer on
their cold start (docs/benchmarks.md, cold start).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol
from urllib.parse import quote, urlencode

# --- settings -------------------------------------------------------------------------------------


class MailSettings(NamedTuple):
    from_address: str
    site_base_url: str  # the reader site: article pages live at <site>/<slug>/
    api_base_url: str  # where /confirm, /preferences and /unsubscribe are served
    site_name: str = "Newsdrop"
    from_name: str | None = None
    unsubscribe_mailto: str | None = None  # List-Unsubscribe mailto: target (defaults to from_address)
    configuration_set: str | None = None

    def link(self, path: str, token: str) -> str:
        return f"{self.api_base_url.rstrip('/')}{path}?{urlencode({'token': token})}"

    def article_url(self, slug: str) -> str:
        return f"{self.site_base_url.rstrip('/')}/{quote(slug, safe='')}/"


class OutgoingEmail(NamedTuple):
    recipient: str
    raw: bytes
    tags: dict[str, str]  # SES message tags (come back in bounce events)


# --- sending --------------------------------------------------------------------------------------


class MailThrottled(Exception):
    """SES said slow down (sending rate or quota): back off and retry later."""


class MailRejected(Exception):
    """SES will never send this message as it is (bad address, rejected content): do not retry."""


class Mailer(Protocol):
    def send(self, message: OutgoingEmail) -> str:
        """Send one message; return the provider's message id. Raises MailThrottled / MailRejected /
        any other exception for a transient failure."""
        ...


_THROTTLE_CODES = {"ThrottlingException", "TooManyRequestsException", "Throttling", "LimitExceededException"}
_REJECT_CODES = {
    "MessageRejected",
    "BadRequestException",
    "InvalidParameterValue",
    "MailFromDomainNotVerifiedException",
}


class SesMailer:
    """SES v2 SendEmail with a raw MIME message, in the configuration set that reports bounces."""

    def __init__(self, client, *, configuration_set: str | None = None):
        self.client = client
        self.configuration_set = configuration_set

    def send(self, message: OutgoingEmail) -> str:
        from botocore.exceptions import ClientError

        request: dict[str, Any] = {"Content": {"Raw": {"Data": message.raw}}}
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        if message.tags:
            request["EmailTags"] = [{"Name": k, "Value": v} for k, v in message.tags.items()]
        try:
            return self.client.send_email(**request)["MessageId"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            text = exc.response.get("Error", {}).get("Message", "")
            if code in _THROTTLE_CODES or "Maximum sending rate exceeded" in text:
                raise MailThrottled(f"{code}: {text}") from exc
            if code in _REJECT_CODES and "Daily message quota" not in text:
                raise MailRejected(code) from exc
            raise
