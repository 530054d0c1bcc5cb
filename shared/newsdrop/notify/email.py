"""Email: render real MIME messages (text + HTML) from the templates, and send them through a Mailer.

Rendering is pure (no AWS): ``render_notification`` / ``render_confirmation`` return an
``OutgoingEmail`` holding the exact bytes SES will send. ``SesMailer`` is the only code that talks to
SES (v2 ``SendEmail`` with ``Content.Raw``) and turns its errors into three kinds the callers act on:
``MailThrottled`` (back off, retry later), ``MailRejected`` (this message will never go: don't retry)
and anything else (transient: retry later).

Untrusted text (titles, excerpts, topic labels) never reaches a header unflattened (no CR/LF/control
characters survive ``header_text``) and never reaches HTML unescaped (every ``*_html`` template field is
``html.escape``d here, URLs included).
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from functools import cache
from importlib import resources
from string import Template
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from newsdrop.notify.subscribers import EVERYTHING

logger = logging.getLogger(__name__)

MAX_SUBJECT_CHARS = 160
_WIRE_POLICY = SMTP.clone(max_line_length=998)


# --- settings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailSettings:
    from_address: str
    site_base_url: str  # the public site: article links are <site>/articles/<slug>
    api_base_url: str  # where /confirm, /preferences and /unsubscribe are served
    site_name: str = "Newsdrop"
    from_name: str | None = None
    unsubscribe_mailto: str | None = None  # List-Unsubscribe mailto: target (defaults to from_address)
    configuration_set: str | None = None

    def link(self, path: str, token: str) -> str:
        return f"{self.api_base_url.rstrip('/')}{path}?{urlencode({'token': token})}"

    def article_url(self, slug: str) -> str:
        return f"{self.site_base_url.rstrip('/')}/articles/{quote(slug, safe='')}"


@dataclass(frozen=True)
class OutgoingEmail:
    recipient: str
    raw: bytes
    tags: dict[str, str] = field(default_factory=dict)  # SES message tags (come back in bounce events)


class ArticleView(Protocol):
    slug: str
    title: str
    excerpt: str


# --- sanitizing -----------------------------------------------------------------------------------

_WS_RE = re.compile(r"\s+")


def header_text(value: str, limit: int = MAX_SUBJECT_CHARS) -> str:
    """One line of plain text fit for a header: control/format characters and line breaks of every
    kind (CR, LF, U+2028, NEL...) become spaces, runs of space collapse, long values are cut."""
    cleaned = "".join(
        " " if unicodedata.category(ch)[0] in "CZ" and ch != "\u200d" else ch  # keep ZWJ (emoji)
        for ch in value
    )
    cleaned = _WS_RE.sub(" ", cleaned).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "\u2026"
    return cleaned


def body_text(value: str) -> str:
    """Plain text for a body paragraph: one paragraph, no control characters."""
    return header_text(value, limit=2000)


def _esc(value: str) -> str:
    return html.escape(value, quote=True)


@cache
def _template(name: str) -> Template:
    return Template(
        resources.files("newsdrop.notify").joinpath("templates", name).read_text(encoding="utf-8")
    )


def _render(name: str, **values: Any) -> str:
    return _template(name).substitute(**values)


def _topic_label(key: str, labels: dict[str, str] | None) -> str:
    return (labels or {}).get(key) or key.replace("-", " ").title()


def reason_text(reason: str, site_name: str, labels: dict[str, str] | None = None) -> str:
    if reason == EVERYTHING:
        return f"you follow every new post on {site_name}"
    return f"you follow {_topic_label(reason, labels)}"


# --- MIME -----------------------------------------------------------------------------------------


def _build(
    settings: MailSettings,
    recipient: str,
    subject: str,
    text: str,
    html_body: str,
    extra_headers: dict[str, str],
) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = formataddr(
        (header_text(settings.from_name or settings.site_name, 80), settings.from_address)
    )
    msg["To"] = recipient
    # folded here (RFC 2047 words of <= 75 chars, lines <= 78) because the message is written with the
    # 998-char line limit below; header_text has removed every line break and control character already
    msg.set_raw("Subject", _folded("Subject", header_text(subject)))
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=settings.from_address.rpartition("@")[2] or None)
    for name, value in extra_headers.items():
        msg[name] = value
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html_body, subtype="html", charset="utf-8")
    # bodies were encoded under SMTP (quoted-printable lines <= 76); headers are written with the RFC 5322
    # limit so a long List-Unsubscribe URL stays one plain ASCII value instead of becoming RFC 2047 words
    return msg.as_bytes(policy=_WIRE_POLICY)


def render_notification(
    settings: MailSettings,
    article: ArticleView,
    recipient: str,
    reason: str,
    *,
    unsubscribe_token: str,
    manage_token: str,
    tags: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> OutgoingEmail:
    """The new-post email for one recipient (their own unsubscribe and manage links)."""
    title = header_text(article.title, limit=300)
    excerpt = body_text(article.excerpt or "")
    article_url = settings.article_url(article.slug)
    unsubscribe_url = settings.link("/unsubscribe", unsubscribe_token)
    manage_url = settings.link("/preferences", manage_token)
    why = reason_text(reason, settings.site_name, labels)
    kicker = "New post" if reason == EVERYTHING else f"New in {_topic_label(reason, labels)}"
    text = _render(
        "notification.txt",
        site_name=settings.site_name,
        title_text=title,
        excerpt_text=excerpt,
        article_url=article_url,
        reason_text=why,
        manage_url=manage_url,
        unsubscribe_url=unsubscribe_url,
    )
    content = _render(
        "notification_content.html",
        kicker_html=_esc(header_text(kicker, 80)),
        title_html=_esc(title),
        excerpt_html=_esc(excerpt),
        article_url_html=_esc(article_url),
    )
    footer = _render(
        "notification_footer.html",
        reason_html=_esc(why),
        manage_url_html=_esc(manage_url),
        unsubscribe_url_html=_esc(unsubscribe_url),
    )
    html_body = _render(
        "email_layout.html",
        subject_html=_esc(title),
        preheader_html=_esc(excerpt[:140]),
        site_url_html=_esc(settings.site_base_url),
        site_name_html=_esc(settings.site_name),
        content_html=content,
        footer_html=footer,
    )
    mailto = settings.unsubscribe_mailto or settings.from_address
    mailto_url = (
        f"mailto:{mailto}?{urlencode({'subject': f'unsubscribe {unsubscribe_token}'}, quote_via=quote)}"
    )
    headers = {
        # RFC 2369 + RFC 8058: the https URI is what mailbox providers POST to for one-click unsubscribe
        "List-Unsubscribe": f"<{unsubscribe_url}>, <{mailto_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{header_text(settings.site_name, 60)} new posts <new-posts.{_list_domain(settings)}>",
        "Precedence": "bulk",
        "X-Newsdrop-Article": _tag_safe(article.slug),
        "Auto-Submitted": "auto-generated",
    }
    raw = _build(settings, recipient, f"{title}", text, html_body, headers)
    return OutgoingEmail(recipient=recipient, raw=raw, tags=tags or {})


def render_confirmation(
    settings: MailSettings,
    recipient: str,
    *,
    confirm_url: str,
    topics: list[str],
    everything: bool,
    ttl_hours: int = 72,
) -> OutgoingEmail:
    if everything or not topics:
        topics_text = "anything"
    else:
        names = [_topic_label(t, None) for t in topics[:10]]
        topics_text = ", ".join(names) + (" and more" if len(topics) > 10 else "")
    text = _render(
        "confirmation.txt",
        site_name=settings.site_name,
        topics_text=topics_text,
        confirm_url=confirm_url,
        ttl_hours=ttl_hours,
    )
    content = _render(
        "confirmation_content.html",
        site_name_html=_esc(settings.site_name),
        topics_html=_esc(topics_text),
        confirm_url_html=_esc(confirm_url),
        ttl_hours=ttl_hours,
    )
    footer = _render("confirmation_footer.html", site_name_html=_esc(settings.site_name))
    subject = f"Confirm your subscription to {settings.site_name}"
    html_body = _render(
        "email_layout.html",
        subject_html=_esc(subject),
        preheader_html="One click and you are in.",
        site_url_html=_esc(settings.site_base_url),
        site_name_html=_esc(settings.site_name),
        content_html=content,
        footer_html=footer,
    )
    raw = _build(settings, recipient, subject, text, html_body, {"Auto-Submitted": "auto-generated"})
    return OutgoingEmail(recipient=recipient, raw=raw, tags={"kind": "confirm"})


def _tag_safe(value: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_-.") else "_" for ch in value)[:200]


def _folded(name: str, value: str) -> str:
    charset = "us-ascii" if value.isascii() else "utf-8"
    return Header(value, charset, header_name=name).encode(linesep="\r\n", maxlinelen=78)


def _list_domain(settings: MailSettings) -> str:
    return settings.from_address.rpartition("@")[2] or "localhost"


def render_page(settings: MailSettings, title: str, body_html: str) -> str:
    """A small HTML page for the subscriber endpoints; ``body_html`` must already be escaped."""
    return _render(
        "page.html",
        title_html=_esc(title),
        site_name_html=_esc(settings.site_name),
        site_url_html=_esc(settings.site_base_url),
        body_html=body_html,
    )


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


# --- pages of the subscriber endpoints --------------------------------------------------------------


def page_invalid_link(settings: MailSettings) -> str:
    return render_page(
        settings,
        "This link does not work",
        (
            "<p>The link is invalid or has expired. Confirmation links work for 72 hours: "
            "subscribe again on the site to get a fresh one.</p>"
        ),
    )


def page_confirm(settings: MailSettings, token: str | None) -> str:
    # A button, not the link itself: mail scanners fetch every link in a message, and a GET that
    # confirmed would let them opt in an address whose owner never asked.
    action = _esc("?" + urlencode({"token": token or ""}))
    return render_page(
        settings,
        "Confirm your subscription",
        (
            f"<p>Get an email when a new post is published on {_esc(settings.site_name)}?</p>"
            f'<form method="post" action="{action}"><button type="submit">Yes, subscribe me</button></form>'
            '<p class="muted">Did not ask for this? Close this page: nothing will be sent.</p>'
        ),
    )


def page_confirmed(settings: MailSettings, manage_token: str) -> str:
    manage = _esc(settings.link("/preferences", manage_token))
    return render_page(
        settings,
        "You are subscribed",
        (
            "<p>Thanks! You will get an email when a new post is published on "
            f"{_esc(settings.site_name)}.</p>"
            f'<p><a href="{manage}">Choose your topics</a></p>'
        ),
    )


def page_unsubscribe(settings: MailSettings, token: str | None) -> str:
    action = _esc("?" + urlencode({"token": token or ""}))
    return render_page(
        settings,
        "Unsubscribe",
        (
            f"<p>Stop getting emails about new posts on {_esc(settings.site_name)}?</p>"
            f'<form method="post" action="{action}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">Unsubscribe</button></form>'
        ),
    )


def page_unsubscribed(settings: MailSettings) -> str:
    return render_page(
        settings,
        "You are unsubscribed",
        (
            "<p>You will not get any more emails about new posts. Changed your mind? Subscribe again on the "
            "site at any time.</p>"
        ),
    )


def page_preferences(
    settings: MailSettings, subscriber: Any, token: str | None, unsubscribe_token: str, *, saved: bool = False
) -> str:
    if subscriber.status != "confirmed":
        return render_page(
            settings, "Your subscription", "<p>This address is not subscribed at the moment.</p>"
        )
    action = _esc("?" + urlencode({"token": token or ""}))
    checked = " checked" if subscriber.everything else ""
    topics = _esc(", ".join(subscriber.topics))
    unsubscribe = _esc(settings.link("/unsubscribe", unsubscribe_token))
    return render_page(
        settings,
        "Your topics",
        (
            ("<p><strong>Saved.</strong></p>" if saved else "") + f'<form method="post" action="{action}">'
            f'<label><input type="checkbox" name="everything" value="on"{checked}> Every new post</label>'
            '<label for="topics">Posts tagged with (comma separated):</label>'
            f'<input type="text" id="topics" name="topics" value="{topics}">'
            '<p><button type="submit">Save</button></p></form>'
            f'<p class="muted"><a href="{unsubscribe}">Unsubscribe from everything</a></p>'
        ),
    )
