"""Subscribers: addresses, tokens, the double opt-in HTTP API, preferences, unsubscribe, suppression."""

from __future__ import annotations

import email
import email.policy
import itertools
import json
import logging
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st
from subscriber_stack import SubscriberStack, http_event

from newsdrop.notify.delivery import ClaimOutcome
from newsdrop.notify.subscribers import (
    EVERYTHING,
    InvalidEmail,
    InvalidTopics,
    SubscribeOutcome,
    SubscriberStatus,
    SubscriptionService,
    match_reason,
    normalize_email,
    normalize_topics,
    shard_of,
)
from newsdrop.notify.tokens import InvalidToken, Purpose, TokenSigner

# --- addresses and topics ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ann@Example.COM", "ann@example.com"),
        ("  bob.smith+news@mail.example.co.uk ", "bob.smith+news@mail.example.co.uk"),
        ("zoë@bücher.example".replace("zoë", "zoe"), "zoe@xn--bcher-kva.example"),
        # IDNA 2008 (email-validator): ß is a letter of its own, not IDNA 2003's "ss"
        ("a@faß.example", "a@xn--fa-hia.example"),
        ("a@FASS.example", "a@fass.example"),
    ],
)
def test_addresses_are_normalized(raw, expected):
    assert normalize_email(raw) == expected


def test_fass_and_fass_with_eszett_are_two_subscribers():
    signer = TokenSigner("s" * 32)
    assert signer.subscriber_id(normalize_email("a@faß.example")) != signer.subscriber_id(
        normalize_email("a@fass.example")
    )


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "no-at-sign",
        "a@b",
        "two@@example.com",
        "a@example.com\r\nBcc: x@evil.com",
        "Ann <ann@example.com>",
        "a,b@example.com",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a@example.123",
        "a@localhost",
        "\u00e9@example.com",
        "a" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
        None,
        42,
    ],
)
def test_bad_addresses_are_refused(raw):
    with pytest.raises(InvalidEmail):
        normalize_email(raw)


@given(st.text(max_size=80))
def test_whatever_gets_through_is_one_plain_lowercase_address(raw):
    try:
        address = normalize_email(raw)
    except InvalidEmail:
        return
    assert address == address.lower() and address.isascii() and address.count("@") == 1
    assert not any(ch.isspace() or ord(ch) < 32 or ch in '<>,;"()' for ch in address)
    assert normalize_email(address) == address


def test_topics_are_tag_keys():
    assert normalize_topics(["Global News", "global-news", "  Sport_Results "]) == [
        "global-news",
        "sport-results",
    ]
    # A followed topic must equal the key the article's tag gets, or the reader never hears of it.
    from newsdrop.ingest.tagging import normalize_tags

    for label in ["São Paulo", "#Global News", "AI & Chips", "U.S. Election"]:
        assert normalize_topics([label]) == [normalize_tags([label])[0].key]
    for bad in ["a" * 65, "", "###", "<>"]:
        with pytest.raises(InvalidTopics):
            normalize_topics([bad])
    with pytest.raises(InvalidTopics):
        normalize_topics("politics")  # a bare string is not a list
    with pytest.raises(InvalidTopics):
        normalize_topics([f"t{n}" for n in range(41)])


def test_match_reason_picks_one_partition():
    assert match_reason(["politics", "economy"], ["economy", "politics"], False) == "politics"
    assert match_reason(["politics", "economy"], ["economy"], True) == "economy"
    assert match_reason(["politics"], [], True) == EVERYTHING
    assert match_reason(["politics"], ["sport"], False) is None


# --- tokens -------------------------------------------------------------------------------------------


def test_tokens_are_signed_purpose_bound_and_expire():
    signer = TokenSigner("s" * 32)
    sid = signer.subscriber_id("ann@example.com")
    assert (
        sid
        == signer.subscriber_id("ann@example.com")
        != TokenSigner("t" * 32).subscriber_id("ann@example.com")
    )
    token = signer.mint(Purpose.UNSUBSCRIBE, sid)
    assert signer.verify(token, Purpose.UNSUBSCRIBE) == sid
    with pytest.raises(InvalidToken):
        signer.verify(token, Purpose.MANAGE)  # another purpose
    with pytest.raises(InvalidToken):
        TokenSigner("t" * 32).verify(token, Purpose.UNSUBSCRIBE)  # another key
    other = signer.subscriber_id("bob@example.com")
    with pytest.raises(InvalidToken):
        signer.verify(token.replace(sid, other), Purpose.UNSUBSCRIBE)  # someone else's id
    confirm = signer.mint(Purpose.CONFIRM, sid, ttl_seconds=60, now=1000)
    assert signer.verify(confirm, Purpose.CONFIRM, now=1059) == sid
    with pytest.raises(InvalidToken):
        signer.verify(confirm, Purpose.CONFIRM, now=1061)
    with pytest.raises(InvalidToken):
        signer.verify(confirm.replace(".1060.", ".9999999999."), Purpose.CONFIRM, now=1061)  # extended expiry
    for junk in [None, "", "v1", "x" * 500, token + "x", token[:-1] + ("A" if token[-1] != "A" else "B")]:
        with pytest.raises(InvalidToken):
            signer.verify(junk, Purpose.UNSUBSCRIBE)


# --- the HTTP API on moto -------------------------------------------------------------------------------


_CLIENTS = itertools.count()


@pytest.fixture
def world(stack):
    return SubscriberStack(stack)


def http(
    world,
    method: str,
    path: str,
    *,
    query: dict | None = None,
    body=None,
    form: bool = False,
    accept: str = "application/json",
    source_ip: str | None = None,
):
    """One request; each from a client of its own unless ``source_ip`` says (the per-client limits
    have tests of their own)."""
    headers = {"accept": accept}
    if form:  # the site's own subscribe box (the API refuses forms from other origins)
        headers["content-type"] = "application/x-www-form-urlencoded"
        headers["origin"] = "https://api.news.example.com"
        raw = body if isinstance(body, str) else "&".join(f"{k}={v}" for k, v in (body or {}).items())
    else:
        headers["content-type"] = "application/json"
        raw = body if isinstance(body, str) or body is None else json.dumps(body)
    event = http_event(
        method,
        path,
        query="&".join(f"{k}={v}" for k, v in (query or {}).items()),
        headers=headers,
        body=raw,
        source_ip=source_ip or f"198.51.{next(_CLIENTS) // 250}.{next(_CLIENTS) % 250 + 1}",
    )
    response = world.invoke("subscribe", event)
    content_type = response["headers"].get("Content-Type", "")
    payload = json.loads(response["body"]) if "json" in content_type else response["body"]
    return response["statusCode"], payload


def mails_to(world, address: str) -> list[email.message.EmailMessage]:
    from moto.backends import get_backend

    sent = get_backend("ses")["123456789012"]["us-east-1"].sent_messages
    out = []
    for m in sent:
        msg = email.message_from_string(m.raw_data, policy=email.policy.default)
        if msg["To"].addresses[0].addr_spec == address:
            out.append(msg)
    return out


def link_token(msg, path: str) -> str:
    text = msg.get_body(("plain",)).get_content()
    [url] = [w for w in text.split() if urlparse(w).path == path]
    return parse_qs(urlparse(url).query)["token"][0]


def subscribed_and_confirmed(world, address: str, **body) -> str:
    status, _ = http(world, "POST", "/subscribers", body={"email": address, **body})
    assert status == 202
    [confirmation] = mails_to(world, address)
    status, page = http(world, "POST", "/confirm", query={"token": link_token(confirmation, "/confirm")})
    assert status == 200 and "You are subscribed" in page
    return link_token(confirmation, "/confirm")


def test_a_form_with_two_ticked_topics_follows_both(world):
    """The article page's subscribe box sends one `topics` field per ticked checkbox."""
    raw = "email=reader%40example.com&topics=transport&topics=city-council"
    assert http(world, "POST", "/subscribers", body=raw, form=True, accept="text/html")[0] == 202
    [mail] = mails_to(world, "reader@example.com")
    assert http(world, "POST", "/confirm", query={"token": link_token(mail, "/confirm")})[0] == 200
    sid = world.runtime().signer.subscriber_id("reader@example.com")
    assert world.runtime().subscribers.get(sid).topics == ["city-council", "transport"]


def test_double_opt_in_sends_one_confirmation_and_confirms(world, caplog, capsys):
    caplog.set_level(logging.DEBUG, logger="newsdrop")
    status, body = http(
        world, "POST", "/subscribers", body={"email": "Ann@Example.com", "topics": ["Politics"]}
    )
    assert status == 202 and body["status"] == "pending"
    [mail] = mails_to(world, "ann@example.com")
    assert mail["Subject"] == "Confirm your subscription to Newsdrop"
    assert mail.get_content_type() == "multipart/alternative"
    assert "List-Unsubscribe" not in mail  # not a list mail: nothing else goes to an unconfirmed address
    signer = world.runtime().signer
    sid = signer.subscriber_id("ann@example.com")
    store = world.runtime().subscribers
    assert store.get(sid).status == SubscriberStatus.PENDING
    assert store.followed_among(["politics"]) == set()  # pending: no article fans out to politics yet
    token = link_token(mail, "/confirm")
    # opening the link (or a mail scanner fetching it) shows a button and confirms nothing
    status, page = http(world, "GET", "/confirm", query={"token": token}, accept="text/html")
    assert status == 200 and "Yes, subscribe me" in page and 'method="post"' in page
    assert store.get(sid).status == SubscriberStatus.PENDING
    status, page = http(world, "POST", "/confirm", query={"token": token}, accept="text/html")
    assert status == 200 and "You are subscribed" in page
    sub = store.get(sid)
    assert sub.status == SubscriberStatus.CONFIRMED and sub.topics == ["politics"] and not sub.everything
    entries, _ = store.page_index("politics", shard_of(sid), None, 10)
    assert [e.sid for e in entries] == [sid]
    assert store.followed_among(["economy", "politics", "*"]) == {"politics"}
    # confirming twice is fine; the address was never logged
    assert http(world, "POST", "/confirm", query={"token": token})[0] == 200
    ours = [
        r.getMessage() + json.dumps(r.__dict__, default=str)
        for r in caplog.records
        if r.name.startswith("newsdrop")
    ]
    assert ours and not any("ann@example.com" in line.lower() for line in ours)
    assert "ann@example.com" not in capsys.readouterr().out.lower()  # Powertools' JSON logs


def test_repeats_neither_duplicate_nor_flood_and_answer_the_same(world):
    answers = {
        json.dumps(
            http(world, "POST", "/subscribers", body={"email": "bob@example.com"}, source_ip="198.51.200.1")
        )
        for _ in range(5)
    }
    assert len(answers) == 1
    assert len(mails_to(world, "bob@example.com")) == 1  # one reader's repeats: the cooldown
    subscribed_and_confirmed(world, "carol@example.com")
    again = http(world, "POST", "/subscribers", body={"email": "carol@example.com"})
    assert json.dumps(again) in answers  # an existing subscriber looks exactly like a new one
    assert len(mails_to(world, "carol@example.com")) == 1
    items = world.ddb.scan(TableName=world.subscribers_table)["Items"]
    assert sum(1 for i in items if i["sk"]["S"] == "PROFILE") == 2


def test_cooldown_expires(world):
    rt = world.runtime()
    now = [1_000_000.0]
    service = SubscriptionService(rt.subscribers, rt.mailer, rt.signer, rt.settings, clock=lambda: now[0])
    assert service.subscribe("dan@example.com") == SubscribeOutcome.CONFIRMATION_SENT
    now[0] += 14 * 60
    assert service.subscribe("dan@example.com") == SubscribeOutcome.COOLDOWN
    now[0] += 2 * 60
    assert service.subscribe("dan@example.com") == SubscribeOutcome.CONFIRMATION_SENT
    assert len(mails_to(world, "dan@example.com")) == 2


def test_invalid_requests_get_clear_4xx(world):
    status, body = http(world, "POST", "/subscribers", body={"email": "not-an-address"})
    assert status == 422 and body["error"] == "invalid_email"
    status, body = http(world, "POST", "/subscribers", body={"email": "a@example.com", "topics": [123]})
    assert status == 422 and body["error"] == "invalid_topics"
    status, body = http(world, "POST", "/subscribers", body="{not json")
    assert status == 400 and body["error"] == "bad_request"
    status, body = http(world, "POST", "/subscribers", body={"email": "a@example.com\r\nBcc: b@example.com"})
    assert status == 422
    assert http(world, "GET", "/confirm", query={"token": "v1.confirm.x"})[0] == 400
    assert http(world, "POST", "/confirm", query={"token": "v1.confirm.x"})[0] == 400


def test_a_form_post_works_too(world):
    status, _ = http(
        world,
        "POST",
        "/subscribers",
        body={"email": "erin%40example.com", "topics": "sport%2C+tech"},
        form=True,
    )
    assert status == 202
    rt = world.runtime()
    sub = rt.subscribers.get(rt.signer.subscriber_id("erin@example.com"))
    assert sub.pending_topics == ["sport", "tech"] and not sub.pending_everything


def test_preferences_follow_unfollow_and_everything(world):
    subscribed_and_confirmed(world, "fay@example.com", topics=["politics"])
    rt = world.runtime()
    sid = rt.signer.subscriber_id("fay@example.com")
    manage = rt.signer.mint(Purpose.MANAGE, sid)
    status, view = http(world, "GET", "/preferences", query={"token": manage})
    assert status == 200 and view == {
        "email": "f***@example.com",
        "status": "confirmed",
        "topics": ["politics"],
        "everything": False,
    }
    status, view = http(
        world,
        "POST",
        "/preferences",
        query={"token": manage},
        body={"follow": ["Economy"], "unfollow": ["politics"], "everything": True},
    )
    assert status == 200 and view["topics"] == ["economy"] and view["everything"] is True
    from newsdrop.notify.subscribers import shard_of

    shard = shard_of(sid)
    assert [e.sid for e in rt.subscribers.page_index("politics", shard, None, 10)[0]] == []
    assert [e.topics for e in rt.subscribers.page_index("economy", shard, None, 10)[0]] == [["economy"]]
    assert [e.everything for e in rt.subscribers.page_index(EVERYTHING, shard, None, 10)[0]] == [True]
    # the HTML page and its form post
    status, page = http(world, "GET", "/preferences", query={"token": manage}, accept="text/html")
    assert status == 200 and 'name="topics" value="economy"' in page and "checked" in page
    status, page = http(
        world, "POST", "/preferences", query={"token": manage}, body={"topics": "tech"}, form=True
    )
    assert status == 200 and "Saved" in page
    assert rt.subscribers.get(sid).topics == ["tech"] and not rt.subscribers.get(sid).everything
    # tokens of other purposes or other people don't work
    unsubscribe = rt.signer.mint(Purpose.UNSUBSCRIBE, sid)
    assert http(world, "GET", "/preferences", query={"token": unsubscribe})[0] == 400
    assert (
        http(world, "POST", "/preferences", query={"token": manage + "x"}, body={"follow": ["a"]})[0] == 400
    )


def test_one_click_unsubscribe(world):
    subscribed_and_confirmed(world, "gus@example.com", topics=["politics"])
    rt = world.runtime()
    sid = rt.signer.subscriber_id("gus@example.com")
    token = rt.signer.mint(Purpose.UNSUBSCRIBE, sid)
    status, page = http(world, "GET", "/unsubscribe", query={"token": token}, accept="text/html")
    assert status == 200 and '<form method="post"' in page and "List-Unsubscribe" in page
    assert rt.subscribers.get(sid).status == SubscriberStatus.CONFIRMED  # GET (link scanners) changes nothing
    status, page = http(
        world, "POST", "/unsubscribe", query={"token": token}, body="List-Unsubscribe=One-Click", form=True
    )
    assert status == 200 and "unsubscribed" in page
    assert rt.subscribers.get(sid).status == SubscriberStatus.UNSUBSCRIBED
    from newsdrop.notify.subscribers import shard_of

    assert rt.subscribers.page_index("politics", shard_of(sid), None, 10)[0] == []
    assert (
        http(
            world,
            "POST",
            "/unsubscribe",
            query={"token": token},
            body="List-Unsubscribe=One-Click",
            form=True,
        )[0]
        == 200
    )  # idempotent
    assert http(world, "POST", "/unsubscribe", query={"token": rt.signer.mint(Purpose.MANAGE, sid)})[0] == 400
    # signing up again (after the confirmation cooldown) is a fresh double opt-in
    rt.subscribers.release_confirmation(sid, rt.subscribers.get(sid).confirm_sent_at)
    http(world, "POST", "/subscribers", body={"email": "gus@example.com"})
    assert rt.subscribers.get(sid).status == SubscriberStatus.PENDING
    assert len(mails_to(world, "gus@example.com")) == 2


def _sns_envelope(ses_event: dict) -> str:
    """An SNS notification as SNS delivers it to an SQS queue (without raw message delivery)."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "m",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
            "Message": json.dumps(ses_event),
            "Timestamp": "2026-12-01T09:30:00.000Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=example",
        }
    )


def feedback_event(world, bodies: list[str]) -> dict:
    arn = world.queue_arn(world.feedback_url)
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": b,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1764581400000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1764581400001",
                },
                "messageAttributes": {},
                "md5OfBody": "x",
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1",
            }
            for i, b in enumerate(bodies)
        ]
    }


def test_bounces_and_complaints_suppress_for_good(world):
    subscribed_and_confirmed(world, "hal@example.com")
    subscribed_and_confirmed(world, "ivy@example.com")
    http(world, "POST", "/subscribers", body={"email": "jon@example.com"})  # pending
    bounce = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "HAL@example.com"}]},
        "mail": {"tags": {}},
    }
    transient = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "ivy@example.com"}]},
    }
    complaint = {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "jon@example.com"}]},
    }
    response = world.invoke(
        "feedback",
        feedback_event(
            world, [_sns_envelope(bounce), json.dumps(transient), _sns_envelope(complaint), "not json"]
        ),
    )
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["m3"]  # poison -> retries -> DLQ
    rt = world.runtime()
    status = {
        a: rt.subscribers.get(rt.signer.subscriber_id(a)).status
        for a in ("hal@example.com", "ivy@example.com", "jon@example.com")
    }
    assert status == {
        "hal@example.com": "suppressed",
        "ivy@example.com": "confirmed",
        "jon@example.com": "suppressed",
    }
    before = len(mails_to(world, "jon@example.com"))
    jon = rt.signer.subscriber_id("jon@example.com")
    rt.subscribers.release_confirmation(jon, rt.subscribers.get(jon).confirm_sent_at)  # past the cooldown
    assert http(world, "POST", "/subscribers", body={"email": "jon@example.com"})[0] == 202
    assert len(mails_to(world, "jon@example.com")) == before  # suppressed: not even a confirmation


def test_a_send_event_settles_a_claim_its_sender_left_behind(world):
    from newsdrop.notify.store import DynamoDeliveryStore

    ledger = DynamoDeliveryStore(world.session.resource("dynamodb"), world.deliveries_table)
    ledger.claim("vote-today", "sid-dead", "worker-that-died", now=100, lease_seconds=300)
    ledger.claim("vote-today", "sid-alive", "worker", now=100, lease_seconds=300)
    ledger.mark_sent("vote-today", "sid-alive", "worker", "ses-1", now=101)

    def send_event(sid: str, message_id: str, kind: str = "post") -> str:
        tags = {"kind": [kind], "sid": [sid], "slug": ["vote-today"]}
        return _sns_envelope(
            {"eventType": "Send", "mail": {"messageId": message_id, "tags": tags}, "send": {}}
        )

    bodies = [
        send_event("sid-dead", "ses-2"),  # accepted, but its sender never wrote 'sent'
        send_event("sid-alive", "ses-1"),  # the usual case: already 'sent'
        send_event("sid-nobody", "ses-3"),  # no claim (another stack's email): nothing to do
        send_event("sid-dead", "ses-4", kind="confirm"),  # not a notification
    ]
    response = world.invoke("feedback", feedback_event(world, bodies))
    assert response["batchItemFailures"] == []
    states = ledger.ledger_states("vote-today", ["sid-dead", "sid-alive", "sid-nobody"])
    assert states == {"sid-dead": "sent", "sid-alive": "sent"}
    # a retry after the lease now skips the recipient instead of mailing them again
    claim = ledger.claim("vote-today", "sid-dead", "retry", now=100 + 301, lease_seconds=300)
    assert claim == ClaimOutcome.ALREADY_SENT
