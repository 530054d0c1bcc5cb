"""Email rendering (real MIME, no injection) and the SES mailer on moto."""

from __future__ import annotations

import email
import email.policy
from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdrop.notify.email import (
    MailRejected,
    MailSettings,
    MailThrottled,
    OutgoingEmail,
    SesMailer,
    render_confirmation,
    render_notification,
)
from newsdrop.notify.tokens import Purpose, TokenSigner

SETTINGS = MailSettings(
    from_address="news@example.com",
    site_base_url="https://news.example.com",
    api_base_url="https://api.news.example.com",
    site_name="Daily Planet",
)
SIGNER = TokenSigner("k" * 32)
SID = SIGNER.subscriber_id("ann@example.org")


def article(title="Rates rise again", excerpt="The bank moved for the third time.", slug="rates-rise"):
    return SimpleNamespace(slug=slug, title=title, excerpt=excerpt)


def render(a=None, reason="economy", labels=None):
    return render_notification(
        SETTINGS,
        a or article(),
        "ann@example.org",
        reason,
        unsubscribe_token=SIGNER.mint(Purpose.UNSUBSCRIBE, SID),
        manage_token=SIGNER.mint(Purpose.MANAGE, SID),
        labels=labels,
    )


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_notification_is_multipart_alternative_with_list_unsubscribe():
    msg = parse(render(labels={"economy": "Economy & Markets"}).raw)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["To"] == "ann@example.org" and msg["Subject"] == "Rates rise again"
    assert msg["From"] == "Daily Planet <news@example.com>"
    https, mailto = [u.strip().strip("<>") for u in str(msg["List-Unsubscribe"]).split(",")]
    assert https.startswith("https://api.news.example.com/unsubscribe?token=v1.unsubscribe.")
    assert mailto.startswith("mailto:news@example.com?subject=unsubscribe%20v1.unsubscribe.")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["X-Newsdrop-Article"] == "rates-rise"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for body in (text, html):
        assert "https://news.example.com/rates-rise/" in body
        assert "The bank moved for the third time." in body
    assert "you follow Economy &amp; Markets" in html and "you follow Economy & Markets" in text
    assert https.replace("&", "&amp;") in html or https in html
    # raw header lines stay within RFC 5322's limit and List-Unsubscribe is plain ASCII (no RFC 2047)
    raw = render().raw
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"List-Unsubscribe: <https://" in raw


def test_everything_followers_are_told_why():
    html = parse(render(reason="*").raw).get_body(("html",)).get_content()
    assert "you follow every new post on Daily Planet" in html


def test_markup_in_titles_is_escaped():
    msg = parse(
        render(article(title='<script>alert(1)</script> & "quotes"', excerpt="<img src=x onerror=y>")).raw
    )
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in html
    assert msg["Subject"] == '<script>alert(1)</script> & "quotes"'  # a header is plain text, not markup


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=200), st.text(max_size=300))
def test_no_title_or_excerpt_can_inject_a_header(title, excerpt):
    raw = render(article(title=title, excerpt=excerpt)).raw
    msg = parse(raw)
    assert msg.defects == [] or all("Header" not in type(d).__name__ for d in msg.defects)
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = [line.split(b":", 1)[0] for line in head.split(b"\r\n") if line and line[:1] not in (b" ", b"\t")]
    assert names == [
        b"From",
        b"To",
        b"Subject",
        b"Date",
        b"Message-ID",
        b"List-Unsubscribe",
        b"List-Unsubscribe-Post",
        b"List-Id",
        b"Precedence",
        b"X-Newsdrop-Article",
        b"Auto-Submitted",
        b"MIME-Version",
        b"Content-Type",
    ]
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]


def test_confirmation_mail_has_the_link_and_no_list_headers():
    msg = parse(
        render_confirmation(
            SETTINGS,
            "ann@example.org",
            confirm_url="https://api/confirm?token=abc",
            topics=["politics", "global-news"],
            everything=False,
        ).raw
    )
    assert msg["Subject"] == "Confirm your subscription to Daily Planet"
    assert "List-Unsubscribe" not in msg
    text = msg.get_body(("plain",)).get_content()
    assert "https://api/confirm?token=abc" in text and "Politics, Global News" in text


def test_ses_mailer_sends_the_exact_raw_message_through_sesv2(aws):
    """moto records SES v2 SendEmail(Content.Raw) in the SES *v1* backend's sent_messages."""
    from moto.backends import get_backend

    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress="news@example.com")
    mailer = SesMailer(boto3.client("sesv2", region_name="us-east-1"), configuration_set=None)
    message = render()
    message_id = mailer.send(message)
    [sent] = get_backend("ses")["123456789012"]["us-east-1"].sent_messages
    assert sent.id == message_id and sent.raw_data.encode() == message.raw
    assert get_backend("sesv2")["123456789012"]["us-east-1"] is not None


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("TooManyRequestsException", "Too many requests", MailThrottled),
        ("Throttling", "Maximum sending rate exceeded.", MailThrottled),
        ("LimitExceededException", "Daily message quota exceeded", MailThrottled),
        ("MessageRejected", "Email address is not verified.", MailRejected),
        ("BadRequestException", "Illegal address", MailRejected),
    ],
)
def test_ses_errors_become_throttled_rejected_or_transient(code, text, expected):
    client = boto3.client("sesv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stub:
        stub.add_client_error(
            "send_email", service_error_code=code, service_message=text, http_status_code=400
        )
        with pytest.raises(expected):
            SesMailer(client, configuration_set="cs").send(render())
    with Stubber(client) as stub:
        stub.add_client_error("send_email", service_error_code="InternalFailure", http_status_code=500)
        with pytest.raises(Exception) as info:
            SesMailer(client).send(render())
        assert not isinstance(info.value, (MailThrottled, MailRejected))
    raw = render().raw
    with Stubber(client) as stub:
        stub.add_response(
            "send_email",
            {"MessageId": "abc"},
            {
                "Content": {"Raw": {"Data": raw}},
                "ConfigurationSetName": "cs",
                "EmailTags": [{"Name": "sid", "Value": SID}],
            },
        )
        sent = SesMailer(client, configuration_set="cs").send(
            OutgoingEmail("ann@example.org", raw, {"sid": SID})
        )
        assert sent == "abc"


# --- headers: well-formed for every parser, whatever the names and titles -----------------------------

HOSTILE_SETTINGS = MailSettings(
    from_address="news@example.com",
    site_base_url="https://news.example.com",
    api_base_url="https://api.news.example.com",
    site_name="Ünïcödé News, Inc.",
)
ENCODED_WORD_TITLE = "=?UTF-8?Q?=0D=0ABcc:_victim@evil.example?="


def every_kind_of_email(settings: MailSettings, title: str = "Rates rise") -> list[OutgoingEmail]:
    from newsdrop.notify.email import render_manage_link

    return [
        render_notification(
            settings,
            article(title=title),
            "ann@example.org",
            "economy",
            unsubscribe_token=SIGNER.mint(Purpose.UNSUBSCRIBE, SID),
            manage_token=SIGNER.mint(Purpose.MANAGE, SID, ttl_seconds=60),
        ),
        render_confirmation(
            settings, "ann@example.org", confirm_url="https://a/confirm?token=x", topics=[], everything=True
        ),
        render_manage_link(
            settings, "ann@example.org", manage_url="https://a/preferences?token=x", ttl_days=7
        ),
    ]


def assert_no_header_defects(raw: bytes) -> email.message.EmailMessage:
    msg = parse(raw)
    assert msg.defects == []
    for name, value in msg.items():  # each header parsed by the standard library's header model
        assert value.defects == (), (name, str(value), value.defects)
    for part in msg.walk():
        assert part.defects == []
    return msg


@pytest.mark.parametrize("settings_", [SETTINGS, HOSTILE_SETTINGS], ids=["plain", "unicode-comma"])
def test_every_header_of_every_email_parses_without_defects(settings_):
    for message in every_kind_of_email(settings_):
        msg = assert_no_header_defects(message.raw)
        [sender] = msg["From"].addresses  # one mailbox, not "=?utf-8?...?= News" and " Inc. <...>"
        assert sender.display_name == settings_.site_name and sender.addr_spec == "news@example.com"
        [recipient] = msg["To"].addresses
        assert recipient.addr_spec == "ann@example.org"


def test_encoded_word_syntax_in_a_title_stays_literal_text():
    for message in every_kind_of_email(SETTINGS, title=ENCODED_WORD_TITLE)[:1]:
        msg = assert_no_header_defects(message.raw)
        subject = str(msg["Subject"])
        # what a client shows is the literal text (with an invisible word joiner), never a decoded CR/LF
        assert "\r" not in subject and "\n" not in subject and "Bcc" in subject
        assert subject.replace("\u2060", "") == ENCODED_WORD_TITLE
        assert "victim@evil.example" not in str(msg.get("Bcc", ""))
        # decoding the subject once more, as a careless client would, still yields no line break
        from email.header import decode_header, make_header

        assert "\n" not in str(make_header(decode_header(subject)))


def test_encoded_word_syntax_in_a_sender_name_makes_no_second_mailbox():
    settings_ = MailSettings(
        from_address="news@example.com",
        site_base_url="https://news.example.com",
        api_base_url="https://api.news.example.com",
        site_name=ENCODED_WORD_TITLE,
    )
    for message in every_kind_of_email(settings_):
        msg = assert_no_header_defects(message.raw)
        [sender] = msg["From"].addresses
        assert sender.addr_spec == "news@example.com" and "\n" not in sender.display_name


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=120))
def test_no_site_name_or_title_gives_a_defective_header(text):
    settings_ = MailSettings(
        from_address="news@example.com",
        site_base_url="https://news.example.com",
        api_base_url="https://api.news.example.com",
        site_name=text,
    )
    for message in every_kind_of_email(settings_, title=text):
        msg = assert_no_header_defects(message.raw)
        assert len(msg["From"].addresses) == 1
