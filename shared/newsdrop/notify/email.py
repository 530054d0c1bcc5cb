"""Email: render real MIME messages (text + HTML) from the templates, and send them through a Mailer.

Rendering is pure (no AWS): ``render_notification`` / ``render_confirmation`` return an
``OutgoingEmail`` holding the exact bytes SES will send. ``SesMailer`` is the only code that talks to
SES (v2 ``SendEmail`` with ``Content.Raw``) and turns its errors into three kinds the callers act on:
``MailThrottled`` (back off, retry later), ``MailRejected`` (this message will never go: don't retry)
and anything else (transient: retry later).

Untrusted text (titles, excerpts, topic labels) never reaches a header unflattened (no CR/LF/control
characters or encoded-word openers survive ``header_text``; addresses are ``email.headerregistry.Address``
objects folded by the standard library) and never reaches HTML unescaped (the templates are Jinja2 with
autoescape on for every ``.html`` file).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import UTC, datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from newsdrop.notify.mailer import (  # noqa: F401 (re-exported: callers name them from here too)
    Mailer,
    MailRejected,
    MailSettings,
    MailThrottled,
    OutgoingEmail,
    SesMailer,
)
from newsdrop.notify.topics import EVERYTHING

logger = logging.getLogger(__name__)

MAX_SUBJECT_CHARS = 160
_WIRE_POLICY = SMTP.clone(max_line_length=998)
TEMPLATES = Path(__file__).parent / "templates"


class ArticleView(Protocol):
    slug: str
    title: str
    excerpt: str


# --- sanitizing -----------------------------------------------------------------------------------

_WS_RE = re.compile(r"\s+")
# "=?" opens an RFC 2047 encoded word: a title "=?UTF-8?Q?=0D=0ABcc:...?=" would be decoded by mail clients
# (and by Python's own address parser) into a line break and a Bcc. An invisible WORD JOINER between the two
# characters keeps the text as it reads and makes it no encoded word for anyone.
_ENCODED_WORD_OPEN = "=?"
_NEUTRAL_OPEN = "=\u2060?"
_KEPT_FORMAT = frozenset("\u200d\u2060")  # ZWJ (emoji sequences) and our own word joiner


def header_text(value: str, limit: int = MAX_SUBJECT_CHARS) -> str:
    """One line of plain text fit for a header: control/format characters and line breaks of every
    kind (CR, LF, U+2028, NEL...) become spaces, runs of space collapse, long values are cut, and
    encoded-word syntax is neutralised."""
    cleaned = "".join(
        " " if unicodedata.category(ch)[0] in "CZ" and ch not in _KEPT_FORMAT else ch for ch in value
    )
    cleaned = _WS_RE.sub(" ", cleaned).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "\u2026"
    return cleaned.replace(_ENCODED_WORD_OPEN, _NEUTRAL_OPEN)


def body_text(value: str) -> str:
    """Plain text for a body paragraph: one paragraph, no control characters."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != "\u200d" else ch for ch in value)
    cleaned = _WS_RE.sub(" ", cleaned).strip()
    return cleaned if len(cleaned) <= 2000 else cleaned[:1999].rstrip() + "\u2026"


@cache
def _jinja():
    """Jinja2 with autoescape for every .html template (imported on first render, not at cold start)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _render(name: str, **values: Any) -> str:
    return _jinja().get_template(name).render(**values)


def _topic_label(key: str, labels: dict[str, str] | None) -> str:
    return (labels or {}).get(key) or key.replace("-", " ").title()


def reason_text(reason: str, site_name: str, labels: dict[str, str] | None = None) -> str:
    if reason == EVERYTHING:
        return f"you follow every new post on {site_name}"
    return f"you follow {_topic_label(reason, labels)}"


# --- MIME -----------------------------------------------------------------------------------------


def _address_header(name: str, address: Address) -> str:
    """An address header folded by the standard library's header model (RFC 5322 + RFC 2047): a display
    name with a comma and non-ASCII letters becomes one encoded word, not two mailboxes."""
    header = SMTP.header_factory(name, address)
    return header.fold(policy=SMTP).split(":", 1)[1].strip()


def _mailbox(display_name: str | None, addr_spec: str) -> Address:
    local, _, domain = addr_spec.rpartition("@")
    return Address(display_name=display_name or "", username=local, domain=domain)


def _build(
    settings: MailSettings,
    recipient: str,
    subject: str,
    text: str,
    html_body: str,
    extra_headers: dict[str, str],
) -> bytes:
    msg = EmailMessage(policy=SMTP)
    sender = _mailbox(header_text(settings.from_name or settings.site_name, 80), settings.from_address)
    msg.set_raw("From", _address_header("From", sender))
    msg.set_raw("To", _address_header("To", _mailbox(None, recipient)))
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


def _common(settings: MailSettings) -> dict[str, str]:
    return {"site_name": settings.site_name, "site_url": settings.site_base_url}


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
    unsubscribe_url = settings.link("/unsubscribe", unsubscribe_token)
    kicker = "New post" if reason == EVERYTHING else f"New in {_topic_label(reason, labels)}"
    values = {
        **_common(settings),
        "subject": title,
        "title": title,
        "excerpt": body_text(article.excerpt or ""),
        "article_url": settings.article_url(article.slug),
        "reason": reason_text(reason, settings.site_name, labels),
        "kicker": header_text(kicker, 80),
        "manage_url": settings.link("/preferences", manage_token),
        "unsubscribe_url": unsubscribe_url,
    }
    mailto = settings.unsubscribe_mailto or settings.from_address
    mailto_url = (
        f"mailto:{mailto}?{urlencode({'subject': f'unsubscribe {unsubscribe_token}'}, quote_via=quote)}"
    )
    headers = {
        # RFC 2369 + RFC 8058: the https URI is what mailbox providers POST to for one-click unsubscribe;
        # the mailto: one reaches the SES receipt rule and the unsubscribe-mail function
        "List-Unsubscribe": f"<{unsubscribe_url}>, <{mailto_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{_list_label(settings)} <new-posts.{_list_domain(settings)}>",
        "Precedence": "bulk",
        "X-Newsdrop-Article": _tag_safe(article.slug),
        "Auto-Submitted": "auto-generated",
    }
    raw = _build(
        settings,
        recipient,
        title,
        _render("notification.txt", **values),
        _render("notification.html", **values),
        headers,
    )
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
    subject = f"Confirm your subscription to {settings.site_name}"
    values = {
        **_common(settings),
        "subject": subject,
        "topics_text": topics_text,
        "confirm_url": confirm_url,
        "ttl_hours": ttl_hours,
    }
    return _auto_generated(settings, recipient, subject, "confirmation", values, kind="confirm")


def render_manage_link(
    settings: MailSettings, recipient: str, *, manage_url: str, ttl_days: int
) -> OutgoingEmail:
    """A fresh link to the preferences page, for a subscriber whose old one expired."""
    subject = f"Manage your subscription to {settings.site_name}"
    values = {**_common(settings), "subject": subject, "manage_url": manage_url, "ttl_days": ttl_days}
    return _auto_generated(settings, recipient, subject, "manage_link", values, kind="manage")


def _auto_generated(
    settings: MailSettings, recipient: str, subject: str, template: str, values: dict, *, kind: str
) -> OutgoingEmail:
    """A one-to-one email a reader asked for (not list mail): text and HTML from ``template``.txt/.html."""
    raw = _build(
        settings,
        recipient,
        subject,
        _render(f"{template}.txt", **values),
        _render(f"{template}.html", **values),
        {"Auto-Submitted": "auto-generated"},
    )
    return OutgoingEmail(recipient=recipient, raw=raw, tags={"kind": kind})


def _tag_safe(value: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_-.") else "_" for ch in value)[:200]


def _folded(name: str, value: str) -> str:
    charset = "us-ascii" if value.isascii() else "utf-8"
    return Header(value, charset, header_name=name).encode(linesep="\r\n", maxlinelen=78)


def _list_domain(settings: MailSettings) -> str:
    return settings.from_address.rpartition("@")[2] or "localhost"


def _list_label(settings: MailSettings) -> str:
    """List-Id's phrase, kept to plain ASCII words (few clients decode an encoded word there)."""
    label = unicodedata.normalize("NFKD", header_text(f"{settings.site_name} new posts", 60))
    words = "".join(ch if ch.isascii() and (ch.isalnum() or ch in " -_.") else " " for ch in label)
    return _WS_RE.sub(" ", words).strip() or "new posts"


# --- pages of the subscriber endpoints --------------------------------------------------------------
# Every page is sent with ``newsdrop.notify.http.PAGE_HEADERS`` (no-store, no-referrer, CSP, no framing), in
# the site's own layout: the site's Jinja environment (its globals: ``site``, ``static``), with these
# templates in front of its own.


@cache
def _page_env(site_name: str, site_url: str):
    from jinja2 import ChoiceLoader, FileSystemLoader

    from newsdrop.site.render import Renderer, SiteSettings

    env = Renderer(SiteSettings(base_url=site_url.rstrip("/"), name=site_name)).env
    return env.overlay(loader=ChoiceLoader([FileSystemLoader(TEMPLATES), env.loader]))


def _page(settings: MailSettings, name: str, title: str, **values: Any) -> str:
    env = _page_env(settings.site_name, settings.site_base_url)
    return env.get_template(name).render(title=title, canonical=None, **values)


def _self_action(token: str | None) -> str:
    return "?" + urlencode({"token": token or ""})


def wants_page(event: Any) -> bool:
    """A browser (or a form post) gets a page; a script asking for JSON gets JSON."""
    headers = event.headers or {}
    return "text/html" in headers.get("accept", "") or "application/x-www-form-urlencoded" in headers.get(
        "content-type", ""
    )


def page_subscribe(settings: MailSettings, *, error: str | None = None, field: str | None = None) -> str:
    """The subscribe form again, with what was wrong next to the field (a form post without JavaScript)."""
    return _page(
        settings, "page_subscribe.html", "Subscribe", action="/subscribers", error=error, field=field
    )


def page_check_inbox(settings: MailSettings) -> str:
    return _page(settings, "page_check_inbox.html", "Check your inbox")


def page_invalid_link(settings: MailSettings) -> str:
    return _page(
        settings, "page_invalid_link.html", "This link does not work", manage_link_action="/preferences/link"
    )


def page_link_sent(settings: MailSettings) -> str:
    return _page(settings, "page_link_sent.html", "Check your inbox")


def topics_text(topics: list[str], everything: bool) -> str:
    if everything or not topics:
        return "every new post"
    names = [_topic_label(t, None) for t in topics[:10]]
    return "posts about " + ", ".join(names) + (" and more" if len(topics) > 10 else "")


def page_confirm(settings: MailSettings, token: str | None, offer: Any = None) -> str:
    # A button, not the link itself: mail scanners fetch every link in a message, and a GET that
    # confirmed would let them opt in an address whose owner never asked. The page says what it confirms.
    what = topics_text(offer.topics, offer.everything) if offer is not None else "the topics you chose"
    return _page(
        settings,
        "page_confirm.html",
        "Confirm your subscription",
        action=_self_action(token),
        topics_text=what,
    )


def page_confirmed(settings: MailSettings, manage_token: str) -> str:
    return _page(
        settings,
        "page_confirmed.html",
        "You are subscribed",
        manage_url=settings.link("/preferences", manage_token),
    )


def page_unsubscribe(settings: MailSettings, token: str | None) -> str:
    return _page(settings, "page_unsubscribe.html", "Unsubscribe", action=_self_action(token))


def page_unsubscribed(settings: MailSettings) -> str:
    return _page(settings, "page_unsubscribed.html", "You are unsubscribed")


def page_preferences(
    settings: MailSettings, subscriber: Any, token: str | None, unsubscribe_token: str, *, saved: bool = False
) -> str:
    subscribed = subscriber.status == "confirmed"
    return _page(
        settings,
        "page_preferences.html",
        "Your topics" if subscribed else "Your subscription",
        subscribed=subscribed,
        saved=saved,
        action=_self_action(token),
        everything=subscriber.everything,
        topics=", ".join(subscriber.topics),
        unsubscribe_url=settings.link("/unsubscribe", unsubscribe_token),
    )
