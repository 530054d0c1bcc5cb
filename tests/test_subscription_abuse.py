"""The subscription API and its emails under attack (issue 13), through the handlers on template.yaml
deployed into moto: mailto unsubscribe, no 5xx for any input, per-client and per-mailbox limits, TTL,
answers that do the same work whoever the address belongs to, well-formed headers, page headers and
expiring manage links."""

from __future__ import annotations

import base64
import email.policy
import itertools
import json
import time
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from subscriber_stack import SubscriberStack, http_event, mails_to, sent_mails

from newsdrop.notify.subscribers import SubscriberStatus
from newsdrop.notify.tokens import Purpose

_IPS = itertools.count(1)


def fresh_ip() -> str:
    n = next(_IPS)
    return f"203.0.{n // 250}.{n % 250 + 1}"


def call(world, method, path, *, body=None, query="", ip=None, content_type="application/json", accept=None):
    headers = {"content-type": content_type}
    if accept:
        headers["accept"] = accept
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    response = world.invoke(
        "subscribe",
        http_event(method, path, query=query, headers=headers, body=raw, source_ip=ip or fresh_ip()),
    )
    return response


def sign_up(world, address, *, ip=None, **extra):
    return call(world, "POST", "/subscribers", body={"email": address, **extra}, ip=ip)["statusCode"]


def link_token(msg, path: str) -> str:
    text = msg.get_body(("plain",)).get_content()
    [url] = [w for w in text.split() if urlparse(w).path == path]
    return parse_qs(urlparse(url).query)["token"][0]


def confirmed(world, address: str) -> str:
    assert sign_up(world, address) == 202
    [mail] = mails_to(address)
    response = call(world, "POST", "/confirm", query=f"token={link_token(mail, '/confirm')}")
    assert response["statusCode"] == 200
    rt = world.runtime()
    return rt.signer.subscriber_id(address)


@pytest.fixture
def world(stack):
    return SubscriberStack(stack)


# --- 1. unsubscribe by email -----------------------------------------------------------------------------


def ses_receipt_event(world, message_id: str, subject: str, recipient: str) -> dict:
    """What SES's receipt rule gives its Lambda action (the message itself is in S3)."""
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": "2026-01-05T10:00:00.000Z",
                        "source": "reader@example.org",
                        "messageId": message_id,
                        "destination": [recipient],
                        "headersTruncated": False,
                        "headers": [{"name": "Subject", "value": subject}],
                        "commonHeaders": {
                            "returnPath": "reader@example.org",
                            "from": ["reader@example.org"],
                            "to": [recipient],
                            "messageId": f"<{message_id}@example.org>",
                            "date": "Mon, 5 Jan 2026 10:00:00 +0000",
                            "subject": subject,
                        },
                    },
                    "receipt": {
                        "timestamp": "2026-01-05T10:00:00.000Z",
                        "processingTimeMillis": 420,
                        "recipients": [recipient],
                        "spamVerdict": {"status": "PASS"},
                        "virusVerdict": {"status": "PASS"},
                        "spfVerdict": {"status": "PASS"},
                        "dkimVerdict": {"status": "PASS"},
                        "dmarcVerdict": {"status": "PASS"},
                        "action": {
                            "type": "Lambda",
                            "functionArn": world.stack.functions["UnsubscribeMailFunction"].arn,
                            "invocationType": "Event",
                        },
                    },
                },
            }
        ]
    }


def receive_mail(world, message_id: str, msg: EmailMessage) -> dict:
    """SES's two actions, in the rule's order: store the message (S3 action), then invoke the function."""
    rule = world.stack.cfn["Resources"]["UnsubscribeMailRule"]["Properties"]["Rule"]
    s3_action = rule["Actions"][0]["S3Action"]
    world.stack.client("s3").put_object(
        Bucket=world.stack.resolve(s3_action["BucketName"]),
        Key=f"{s3_action['ObjectKeyPrefix']}{message_id}",
        Body=msg.as_bytes(policy=email.policy.SMTP),
    )
    return world.invoke(
        "unsubscribe_mail",
        ses_receipt_event(
            world, message_id, str(msg["Subject"] or ""), world.stack.resolve(rule["Recipients"][0])
        ),
    )


def test_the_mailto_unsubscribe_of_a_real_notification_unsubscribes(world):
    from newsdrop.notify.wiring import sender_runtime

    sid = confirmed(world, "ann@example.com")
    with world.env_of("sender"):
        sender_runtime.cache_clear()
        sender = sender_runtime().sender
    from newsdrop.notify.email import render_notification

    subscriber = world.runtime().subscribers.get(sid)
    notification = render_notification(
        sender.settings,
        type("A", (), {"slug": "rates", "title": "Rates", "excerpt": "x"})(),
        subscriber.email,
        "*",
        unsubscribe_token=sender.signer.mint(Purpose.UNSUBSCRIBE, sid),
        manage_token=sender.signer.mint(Purpose.MANAGE, sid, ttl_seconds=60),
    )
    parsed = email.message_from_bytes(notification.raw, policy=email.policy.default)
    mailto = [u.strip().strip("<>") for u in str(parsed["List-Unsubscribe"]).split(",")][1]
    target = urlparse(mailto)
    subject = parse_qs(target.query)["subject"][0]
    # the address advertised is the one the receipt rule receives
    rule = world.stack.cfn["Resources"]["UnsubscribeMailRule"]["Properties"]["Rule"]
    assert [target.path] == [world.stack.resolve(r) for r in rule["Recipients"]]

    reply = EmailMessage()  # what Apple Mail sends for a mailto: List-Unsubscribe
    reply["From"], reply["To"], reply["Subject"] = "ann@example.com", target.path, subject
    reply.set_content("This message will unsubscribe you from this mailing list.")
    assert receive_mail(world, "msg-1", reply) == {"unsubscribed": 1}
    assert world.runtime().subscribers.get(sid).status == SubscriberStatus.UNSUBSCRIBED
    # SES delivers an event at least once: the same mail again changes nothing and fails nothing
    assert receive_mail(world, "msg-1", reply) == {"unsubscribed": 1}
    assert world.runtime().subscribers.get(sid).status == SubscriberStatus.UNSUBSCRIBED


def test_a_token_quoted_in_the_body_works_and_a_forged_one_changes_nothing(world):
    bob, cat = confirmed(world, "bob@example.com"), confirmed(world, "cat@example.com")
    signer = world.runtime().signer
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = (
        "bob@example.com",
        "unsubscribe@news.example.com",
        "Re: stop",
    )
    reply.set_content(f"please\n> unsubscribe {signer.mint(Purpose.UNSUBSCRIBE, bob)}\n")
    assert receive_mail(world, "msg-2", reply) == {"unsubscribed": 1}
    forged = signer.mint(Purpose.UNSUBSCRIBE, cat)[:-3] + "AAA"
    for n, subject in enumerate([f"unsubscribe {forged}", "unsubscribe", "=?utf-8?q?=FF?=", ""]):
        other = EmailMessage()
        other["From"], other["To"], other["Subject"] = (
            "x@evil.example",
            "unsubscribe@news.example.com",
            subject,
        )
        other.set_content("no token here")
        assert receive_mail(world, f"junk-{n}", other) == {"unsubscribed": 0}  # no error, no retry, no DLQ
    rt = world.runtime()
    assert rt.subscribers.get(bob).status == SubscriberStatus.UNSUBSCRIBED
    assert rt.subscribers.get(cat).status == SubscriberStatus.CONFIRMED
    # not an SES receipt at all: it fails validation naming the field (retried, then dead-lettered)
    with pytest.raises(ValidationError, match=r"Records\.0\.ses"):
        world.invoke("unsubscribe_mail", {"Records": [{"nonsense": True}]})
    assert rt.subscribers.get(cat).status == SubscriberStatus.CONFIRMED


def test_received_mail_is_stored_encrypted_and_forgotten_and_failures_are_retried_then_dead_lettered(stack):
    resources = stack.cfn["Resources"]
    bucket = resources["InboundMailBucket"]["Properties"]
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and 0 < rule["ExpirationInDays"] <= 30
    receipt = resources["UnsubscribeMailRule"]["Properties"]
    assert receipt["RuleSetName"] == {"Ref": "UnsubscribeMailRuleSet"}
    s3_action, lambda_action = (a for a in receipt["Rule"]["Actions"])
    assert s3_action["S3Action"]["BucketName"] == {"Ref": "InboundMailBucket"}
    assert lambda_action["LambdaAction"]["FunctionArn"] == {"Fn::GetAtt": ["UnsubscribeMailFunction", "Arn"]}
    config = stack.async_configs["UnsubscribeMailFunction"]
    assert config.max_retries == 2
    assert stack.queue_url_for_arn(stack.resolve(config.on_failure)) == stack.resource(
        "UnsubscribeMailDeadLetterQueue"
    )
    sender_env = stack.functions["SenderFunction"].env
    assert sender_env["UNSUBSCRIBE_MAILTO"] == stack.parameters["UnsubscribeAddress"]


# --- 2. no 5xx for any input -------------------------------------------------------------------------------


def template_routes() -> list[str]:
    """Every path template.yaml routes to the subscribe function (so no route escapes the fuzz)."""
    from newsdrop.local.sam import load_template

    events = load_template(ROOT / "template.yaml")["Resources"]["SubscribeFunction"]["Properties"]["Events"]
    return sorted({e["Properties"]["Path"] for e in events.values() if e["Type"] == "HttpApi"})


ROOT = Path(__file__).resolve().parents[1]
ROUTES = [*template_routes(), "/", "/nope", "/subscribers/", "//confirm"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
CONTENT_TYPES = [
    "application/json",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "multipart/form-data; boundary=x",
    "text/plain",
    "",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: ("b64", base64.b64encode(b).decode())),
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {"email": st.one_of(st.text(max_size=40), st.emails(), json_values), "topics": json_values}
    ).map(json.dumps),
    st.tuples(st.sampled_from(["[", '{"a":', '{"email":[', "[1,"]), st.integers(1, 20_000)).map(
        lambda t: t[0] * t[1]
    ),
    st.tuples(st.sampled_from(["[", '{"a":']), st.integers(900, 20_000), st.text(max_size=5)).map(
        lambda t: t[0] * t[1] + t[2]
    ),
    st.binary(max_size=60).map(lambda b: "email=" + quote(b) + "&topics=" + quote(b[::-1])),
    st.sampled_from(["email=%ff", "email=%ZZ", "%", "&&&=", "email=a%40b.example&" * 200]),
)
queries = st.one_of(
    st.just(""),
    st.text(max_size=60).map(lambda t: "token=" + quote(t)),
    st.binary(max_size=40).map(lambda b: "token=" + quote(b)),
    st.sampled_from(
        ["token=", "token=%ff", "token=a&token=b", "token=v1.manage." + "0" * 32 + ".1.x", "a=%"]
    ),
)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    method=st.sampled_from(METHODS),
    path=st.sampled_from(ROUTES),
    content_type=st.sampled_from(CONTENT_TYPES),
    body=bodies,
    query=queries,
    accept=st.sampled_from(["application/json", "text/html", "*/*", ""]),
)
def test_no_request_gets_a_5xx(world_for_fuzz, method, path, content_type, body, query, accept):
    encoded = isinstance(body, tuple)
    event = http_event(
        method,
        path,
        query=query,
        headers={"content-type": content_type, "accept": accept},
        body=body[1] if encoded else body,
        base64=encoded,
        source_ip=fresh_ip(),
    )
    response = world_for_fuzz.invoke("subscribe", event, drive=False)
    assert response["statusCode"] < 500, (method, path, content_type, body, query)


@pytest.fixture
def world_for_fuzz(stack):
    return SubscriberStack(stack)


@pytest.mark.parametrize(
    ("body", "content_type", "b64"),
    [
        ("[" * 5000, "application/json", False),  # RecursionError in json.loads before
        ("{" * 5000, "application/json", False),
        (base64.b64encode(b"email=\xff&topics=x").decode(), "application/x-www-form-urlencoded", True),
        ("email=%ff", "application/x-www-form-urlencoded", False),  # UnicodeDecodeError before
        ("not base64!", "application/json", True),
        ("x" * 100_000, "application/json", False),
    ],
)
def test_the_reported_inputs_get_a_400(world, body, content_type, b64):
    assert {"/subscribers", "/confirm", "/preferences", "/preferences/link", "/unsubscribe"} <= set(ROUTES)
    for path in ("/subscribers", "/preferences", "/preferences/link"):
        event = http_event(
            "POST", path, headers={"content-type": content_type}, body=body, base64=b64, source_ip=fresh_ip()
        )
        response = world.invoke("subscribe", event, drive=False)
        assert response["statusCode"] == 400, (path, response)


# --- 3. limits -------------------------------------------------------------------------------------------


def test_plus_tags_and_gmail_dots_are_one_mailbox(world):
    addresses = [f"flood+{n}@example.com" for n in range(20)] + ["Flood@example.com"]
    assert {sign_up(world, a) for a in addresses} == {202}  # each from its own client: same answer
    assert sum(len(mails_to(a)) for a in addresses) == 6  # MailboxMailsPerDay, whoever asks
    gmail = [
        "first.last@gmail.com",
        "firstlast+news@gmail.com",
        "f.i.r.s.t.l.a.s.t@googlemail.com",
        "FirstLast@gmail.com",
    ]
    gmail += [f"fir.st.last+{n}@gmail.com" for n in range(6)]
    assert {sign_up(world, a) for a in gmail} == {202}
    assert sum(len(mails_to(a.lower())) for a in set(map(str.lower, gmail))) == 6
    yahoo = [f"reader-{n}@yahoo.com" for n in range(8)]  # Yahoo's sub-addresses are -tags
    assert {sign_up(world, a) for a in yahoo} == {202}
    assert sum(len(mails_to(a)) for a in yahoo) == 6


def test_one_client_is_limited_and_one_click_unsubscribe_never_is(world):
    sid = confirmed(world, "reader@example.com")
    token = world.runtime().signer.mint(Purpose.UNSUBSCRIBE, sid)
    ip = fresh_ip()
    statuses = [sign_up(world, f"victim{n}@example.net", ip=ip) for n in range(12)]
    assert statuses[:5] == [202] * 5 and set(statuses[5:]) == {429}  # ClientMailBurst
    assert sum(len(mails_to(f"victim{n}@example.net")) for n in range(12)) == 5
    # the same client drains its general bucket too; GETs are refused, the unsubscribe POST never
    pages = [call(world, "GET", "/confirm", query="token=x", ip=ip)["statusCode"] for _ in range(70)]
    assert 429 in pages
    for _ in range(5):
        response = call(
            world,
            "POST",
            "/unsubscribe",
            query=f"token={token}",
            body="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
            ip=ip,
        )
        assert response["statusCode"] == 200
    assert world.runtime().subscribers.get(sid).status == SubscriberStatus.UNSUBSCRIBED


@pytest.fixture
def small_world(aws):
    """A stack whose limits are small enough to reach in a test, and a hostile site name."""
    from newsdrop.local.stack import LocalStack

    stack = LocalStack(
        parameters={"DomainMailsPerHour": "4", "SiteName": "Ünïcödé News, Inc."},
        env_overrides={"POWERTOOLS_METRICS_DISABLED": "true"},
    ).deploy()
    return SubscriberStack(stack)


def test_one_domain_gets_at_most_its_hourly_allowance(small_world, monkeypatch):
    from types import SimpleNamespace

    from newsdrop.notify import subscribers

    now = time.time()
    half_past = now - now % 3600 + 1800  # the sign-ups share one hourly window, whenever the test runs
    monkeypatch.setattr(subscribers, "time", SimpleNamespace(time=lambda: half_past))
    addresses = [f"person{n}@small-company.example" for n in range(9)]
    assert {sign_up(small_world, a) for a in addresses} == {202}
    assert sum(len(mails_to(a)) for a in addresses) == 4
    assert len(mails_to("someone@other.example")) == 0
    assert sign_up(small_world, "someone@other.example") == 202
    assert len(mails_to("someone@other.example")) == 1  # another domain has its own allowance


# --- 4. TTL ----------------------------------------------------------------------------------------------


def test_unconfirmed_addresses_and_limit_items_expire_and_confirmed_ones_do_not(world):
    ddb = world.ddb
    # moto's CloudFormation does not apply TimeToLiveSpecification: read it from the translated template
    ttl = world.stack.cfn["Resources"]["SubscribersTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}
    before = int(time.time())
    sid = confirmed(world, "kept@example.com")
    assert sign_up(world, "never@example.com") == 202
    rt = world.runtime()
    items = ddb.scan(TableName=world.subscribers_table)["Items"]
    pending = rt.signer.subscriber_id("never@example.com")
    by_pk = {i["pk"]["S"]: i for i in items if i["sk"]["S"] == "PROFILE"}
    expires = int(by_pk[f"SUB#{pending}"]["expires_at"]["N"])
    # the confirmation link's life
    assert before + 72 * 3600 <= expires <= int(time.time()) + 72 * 3600
    assert "expires_at" not in by_pk[f"SUB#{sid}"]  # confirmed: kept until they leave
    limits = [i for i in items if i["pk"]["S"].startswith("LIMIT#")]
    assert limits and all(before < int(i["expires_at"]["N"]) <= before + 2 * 86400 for i in limits)
    # nothing about a pending address outlives its link: its profile and its offers expire with the link
    naming = [i for i in items if pending in json.dumps(i)]
    assert sorted(i["sk"]["S"].split("#")[0] for i in naming) == ["OFFER", "PROFILE"]
    assert all(int(i["expires_at"]["N"]) <= int(time.time()) + 72 * 3600 for i in naming)
    assert {i["pk"]["S"] for i in naming} == {f"SUB#{pending}"}


# --- 5. the answer does the same work whoever the address belongs to --------------------------------------


def test_a_new_and_a_subscribed_address_make_the_same_aws_calls(world):
    confirmed(world, "old@example.com")
    operations: list[str] = []
    recording = [False]

    def record(model, **_):
        if recording[0]:
            operations.append(model.name)

    boto3.setup_default_session(region_name="us-east-1")
    try:
        boto3.DEFAULT_SESSION.events.register("before-call", record)
        from newsdrop.notify import wiring

        caches = [wiring.subscription_runtime, wiring.confirmations_runtime]
        try:
            from newsdrop import aws  # the one place clients are made, if this tree has it

            caches += [aws.client, aws.resource]
        except ImportError:
            pass
        for factory in caches:
            factory.cache_clear()  # clients made from here on carry the hook
        sign_up(world, "warm-up@example.com")  # the first call of a container also reads the secret
        answers, calls = [], []
        for address in ["new@example.com", "old@example.com", "new2@example.com", "old@example.com"]:
            operations.clear()
            recording[0] = True
            event = http_event(
                "POST",
                "/subscribers",
                headers={"content-type": "application/json"},
                body=json.dumps({"email": address}),
                source_ip=fresh_ip(),
            )
            response = world.invoke("subscribe", event, drive=False)
            recording[0] = False
            answers.append((response["statusCode"], response["body"]))
            calls.append(list(operations))
    finally:
        boto3.DEFAULT_SESSION = None
    assert len(set(answers)) == 1 and answers[0][0] == 202
    assert calls[0] == calls[1] == calls[2] == calls[3]
    assert calls[0] == ["UpdateItem", "UpdateItem", "SendMessage"]  # two token buckets, one queued request
    world.dispatcher.pump()  # the queue side sends what is due, off the answer
    assert len(mails_to("new@example.com")) == 1 and len(mails_to("old@example.com")) == 1


# --- 6. headers built from a hostile site name, through the handlers --------------------------------------


def test_a_unicode_site_name_with_a_comma_gives_one_well_formed_sender(small_world):
    assert sign_up(small_world, "ann@example.com") == 202
    [mail] = mails_to("ann@example.com")
    assert mail.defects == []
    for name, value in mail.items():
        assert value.defects == (), name
    [sender] = mail["From"].addresses
    assert sender.display_name == "Ünïcödé News, Inc." and sender.addr_spec == "news@example.com"


# --- 8. pages and tokens ----------------------------------------------------------------------------------


def assert_private_page(response):
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    if "text/html" in headers["content-type"]:  # the site's CSP: nothing inline in the page
        body = response["body"]
        assert "<style" not in body and " style=" not in body and "<script>" not in body


def test_token_pages_are_not_cached_referred_or_framed(world):
    address = "page@example.com"
    assert sign_up(world, address) == 202
    [mail] = mails_to(address)
    confirm = link_token(mail, "/confirm")
    responses = [
        call(world, "GET", "/confirm", query=f"token={confirm}", accept="text/html"),
        call(world, "GET", "/confirm", query="token=forged", accept="text/html"),
        call(world, "POST", "/confirm", query=f"token={confirm}", accept="text/html"),
    ]
    sid = world.runtime().signer.subscriber_id(address)
    signer = world.runtime().signer
    manage = signer.mint(Purpose.MANAGE, sid, ttl_seconds=600)
    unsubscribe = signer.mint(Purpose.UNSUBSCRIBE, sid)
    responses += [
        call(world, "GET", "/preferences", query=f"token={manage}", accept="text/html"),
        call(world, "GET", "/preferences", query=f"token={manage}"),
        call(world, "POST", "/preferences", query=f"token={manage}", body={"follow": ["sport"]}),
        call(world, "GET", "/preferences", query="token=x", accept="text/html"),
        call(world, "GET", "/unsubscribe", query=f"token={unsubscribe}", accept="text/html"),
        call(
            world,
            "POST",
            "/unsubscribe",
            query=f"token={unsubscribe}",
            body="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        ),
    ]
    assert [r["statusCode"] for r in responses] == [200, 400, 200, 200, 200, 200, 400, 200, 200]
    for response in responses:
        assert_private_page(response)


def test_manage_links_expire_and_a_fresh_one_comes_by_email(world):
    sid = confirmed(world, "dora@example.com")
    page = call(world, "POST", "/confirm", query="token=x", accept="text/html")  # any page's manage link
    rt = world.runtime()
    manage = rt.signer.mint(
        Purpose.MANAGE, sid, ttl_seconds=60, now=time.time() - 120
    )  # expired a minute ago
    expired = call(world, "GET", "/preferences", query=f"token={manage}", accept="text/html")
    assert expired["statusCode"] == 400 and 'action="/preferences/link"' in expired["body"]
    assert page["statusCode"] == 400
    # the confirmation page's own manage link carries an expiry
    [confirmation] = mails_to("dora@example.com")
    # ask for a fresh link: the same answer for a subscriber and a stranger; only the subscriber gets mail
    answers = {
        json.dumps(
            call(world, "POST", "/preferences/link", body={"email": a}) | {"headers": None}, sort_keys=True
        )
        for a in ("Dora@example.com", "stranger@example.com")
    }
    assert len(answers) == 1 and json.loads(answers.pop())["statusCode"] == 202
    assert mails_to("stranger@example.com") == []
    [fresh] = [
        m for m in mails_to("dora@example.com") if m is not confirmation and "Manage" in str(m["Subject"])
    ]
    token = link_token(fresh, "/preferences")
    expiry = int(token.split(".")[3])
    assert time.time() < expiry <= time.time() + 7 * 86400 + 5
    assert call(world, "GET", "/preferences", query=f"token={token}")["statusCode"] == 200


def test_the_confirmed_page_links_to_a_manage_token_with_a_lifetime(world):
    assert sign_up(world, "eve@example.com") == 202
    [mail] = mails_to("eve@example.com")
    page = call(world, "POST", "/confirm", query=f"token={link_token(mail, '/confirm')}", accept="text/html")
    [href] = [part.split('"')[0] for part in page["body"].split('href="')[1:] if "/preferences?" in part]
    token = parse_qs(urlparse(href.replace("&amp;", "&")).query)["token"][0]
    expiry = int(token.split(".")[3])
    assert time.time() + 80 * 86400 < expiry <= time.time() + 90 * 86400 + 5
    assert len(sent_mails()) == 1


# --- 8, in a real browser: the pages cannot be framed, and still work under their CSP ---------------------


@pytest.fixture
def gateway(world):
    """A local stand-in for API Gateway: HTTP requests become HTTP API events for the subscribe handler.
    ``/outer`` is another page that frames ``/unsubscribe`` (``&plain=1`` drops the page's own headers,
    the control that shows a frame would load)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _serve(self, method):
            url = urlsplit(self.path)
            if url.path == "/outer":
                body = "".join(
                    f'<iframe id="f{n}" src="/unsubscribe?{url.query}{extra}"></iframe>'
                    for n, extra in enumerate(["", "&plain=1"])
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(body)
                return
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length).decode() if length else None
            query = url.query.replace("&plain=1", "")
            event = http_event(
                method,
                url.path,
                query=query,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=raw,
                source_ip="127.0.0.1",
            )
            with lock:
                response = world.invoke("subscribe", event, drive=False)
            self.send_response(response["statusCode"])
            for name, value in response["headers"].items():
                if "plain=1" in url.query and name in ("Content-Security-Policy", "X-Frame-Options"):
                    continue
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response["body"].encode())

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_token_pages_cannot_be_framed_and_work_under_their_csp(world, gateway, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    sid = confirmed(world, "framed@example.com")
    token = world.runtime().signer.mint(Purpose.UNSUBSCRIBE, sid)
    browser.get(f"{gateway}/outer?token={token}")

    def frame_text(n: int) -> str:
        return browser.execute_script(
            "try { return document.getElementById(arguments[0]).contentDocument.body.innerText || 'empty' }"
            " catch (e) { return 'blocked' }",
            f"f{n}",
        )

    WebDriverWait(browser, 20).until(lambda d: "Unsubscribe" in frame_text(1))  # the control frame loads
    assert "Stop getting emails" not in frame_text(0)  # ours is refused by frame-ancestors 'none'
    # top level, under its CSP, the page's form still posts and unsubscribes
    browser.get(f"{gateway}/unsubscribe?token={token}")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda d: "You are unsubscribed" in d.page_source)
    assert world.runtime().subscribers.get(sid).status == SubscriberStatus.UNSUBSCRIBED
