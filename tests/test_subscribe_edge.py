"""The subscriber API at the edge (through the handler on template.yaml in moto): readers limited by the
address CloudFront saw, no cross-site sign-ups, confirm links bound to what they were mailed for, topics that
are the site's tags, limits no outsider can spend for the owner of an inbox, and SnapStart's hooks."""

from __future__ import annotations

import itertools
import json
import random
from urllib.parse import parse_qs, urlparse

import pytest
from subscriber_stack import SubscriberStack, http_event, mails_to, viewer_event

from newsdrop.notify.subscribers import SubscriberStatus
from newsdrop.notify.tokens import Purpose

_N = itertools.count(1)
SITE = "https://api.news.example.com"  # the host of http_event: the site and the API share it


def viewer() -> str:
    n = next(_N)
    return f"198.18.{n // 250}.{n % 250 + 1}"


def post(world, path, body, *, ip=None, content_type="application/json", headers=None, query=""):
    """A request as CloudFront delivers it: the reader's address in CloudFront-Viewer-Address, the
    edge server's in sourceIp (the same for every reader)."""
    raw = body if isinstance(body, str) else json.dumps(body)
    headers = {"content-type": content_type, **(headers or {})}
    event = viewer_event("POST", path, viewer=ip or viewer(), query=query, headers=headers, body=raw)
    return world.invoke("subscribe", event)


def sign_up(world, address, *, ip=None, **extra):
    return post(world, "/subscribers", {"email": address, **extra}, ip=ip)["statusCode"]


def confirm_tokens(address: str) -> list[str]:
    out = []
    for msg in mails_to(address):
        text = msg.get_body(("plain",)).get_content()
        [url] = [w for w in text.split() if urlparse(w).path == "/confirm"]
        out.append(parse_qs(urlparse(url).query)["token"][0])
    return out


@pytest.fixture
def world(stack):
    return SubscriberStack(stack)


def profile(world, address):
    rt = world.runtime()
    return rt.subscribers.get(rt.signer.subscriber_id(address))


# --- who is asking ---------------------------------------------------------------------------------------


def test_readers_behind_one_edge_server_are_limited_apart_and_x_forwarded_for_is_ignored(world):
    one, other = viewer(), viewer()
    statuses = [sign_up(world, f"r{n}@example.net", ip=one) for n in range(7)]
    assert statuses[:5] == [202] * 5 and set(statuses[5:]) == {429}  # ClientMailBurst, per reader
    assert sign_up(world, "fresh@example.net", ip=other) == 202  # same edge server, another reader
    spoofed = post(
        world, "/subscribers", {"email": "x@example.net"}, ip=one, headers={"x-forwarded-for": viewer()}
    )
    assert spoofed["statusCode"] == 429


def test_an_ipv6_reader_is_their_slash_64():
    from types import SimpleNamespace

    from newsdrop.notify.http import viewer_network

    def event(value):
        return SimpleNamespace(headers={"cloudfront-viewer-address": value}, request_context=None)

    assert viewer_network(event("2001:db8:1:2:aaaa::1:443")) == viewer_network(
        event("2001:db8:1:2:bbbb::9:80")
    )
    assert viewer_network(event("2001:db8:1:2:aaaa::1:443")) == "2001:db8:1:2::/64"
    assert viewer_network(event("203.0.113.9:5123")) == "203.0.113.9"
    assert viewer_network(event("garbage")) == "unknown"


# --- no cross-site sign-ups ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "headers", "status"),
    [
        ("text/plain", '{"email": "victim@example.org"}', {}, 415),
        ("text/plain; charset=utf-8", '{"email": "victim@example.org"}', {"origin": SITE}, 415),
        (
            "application/x-www-form-urlencoded",
            "email=victim%40example.org",
            {"origin": "https://evil.example"},
            403,
        ),
        (
            "application/x-www-form-urlencoded",
            "email=victim%40example.org",
            {"referer": "https://evil.example/x"},
            403,
        ),
        ("application/x-www-form-urlencoded", "email=victim%40example.org", {}, 403),
        (
            "application/x-www-form-urlencoded",
            "email=victim%40example.org",
            {"origin": SITE, "sec-fetch-site": "cross-site"},
            403,
        ),
        ("multipart/form-data; boundary=x", "--x--", {"origin": SITE}, 415),
    ],
)
def test_cross_site_sign_ups_are_refused_and_send_nothing(world, content_type, body, headers, status):
    response = post(world, "/subscribers", body, content_type=content_type, headers=headers)
    assert response["statusCode"] == status
    assert mails_to("victim@example.org") == []


def test_the_sites_own_form_gets_a_page_and_an_email(world):
    for headers in (
        {"origin": SITE},
        {"referer": f"{SITE}/some-article/"},
        {"sec-fetch-site": "same-origin"},
    ):
        address = f"reader{next(_N)}@example.org"
        response = post(
            world,
            "/subscribers",
            f"email={address.replace('@', '%40')}&topics=politics",
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
        assert response["statusCode"] == 202
        assert response["headers"]["Content-Type"].startswith("text/html")
        assert "Check your inbox" in response["body"] and "{" not in response["body"].split("<main")[1][:200]
        assert len(mails_to(address)) == 1


def test_a_bad_form_field_gets_the_form_again_with_the_error_beside_it(world):
    response = post(
        world,
        "/subscribers",
        "email=not-an-address",
        content_type="application/x-www-form-urlencoded",
        headers={"origin": SITE},
    )
    assert response["statusCode"] == 422 and response["headers"]["Content-Type"].startswith("text/html")
    page = response["body"]
    assert 'aria-invalid="true"' in page and 'id="subscribe-email-error"' in page
    assert "email must look like name@example.com" in page
    assert '<link rel="stylesheet" href="/static/site.css">' in page  # the site's layout


def test_a_malformed_json_field_is_a_422_naming_it(world):
    for body, field in (({"email": 5}, "email"), ({"email": "a@example.org", "topics": "x" * 300}, "topics")):
        response = post(world, "/subscribers", body)
        assert response["statusCode"] == 422, response
        assert json.loads(response["body"])["field"] == field
    assert json.loads(post(world, "/subscribers", {"topics": []})["body"])["message"] == "email is required"


# --- topics ----------------------------------------------------------------------------------------------


def test_unknown_topics_are_refused_and_never_reach_an_email(world):
    response = post(world, "/subscribers", {"email": "t@example.org", "topics": ["politics", "casino-bonus"]})
    assert response["statusCode"] == 422
    assert json.loads(response["body"]) == {
        "error": "invalid_topics",
        "message": "not a topic of this site: casino-bonus",
        "field": "topics",
    }
    hostile = post(
        world, "/subscribers", {"email": "t@example.org", "topics": ["<script>x</script>\r\nBcc: a"]}
    )
    assert hostile["statusCode"] == 422
    assert mails_to("t@example.org") == []
    assert sign_up(world, "t@example.org", topics=["Politics", "everything"]) == 202
    [mail] = mails_to("t@example.org")
    text = mail.get_body(("plain",)).get_content() + mail.get_body(("html",)).get_content()
    assert "casino" not in text.lower() and "<script" not in text.lower() and "bcc" not in text.lower()


# --- confirm links bound to what they were mailed for ----------------------------------------------------


def test_a_later_sign_up_never_changes_what_an_earlier_link_confirms(world):
    address = "owner@example.org"
    owner = viewer()
    assert sign_up(world, address, ip=owner, topics=["politics"]) == 202
    world.add_tags("casino-bonus")  # say it became a tag; a third party signs the owner up for it
    assert sign_up(world, address, topics=["casino-bonus"], everything=True) == 202
    first, second = confirm_tokens(address)
    page = world.invoke(
        "subscribe", http_event("GET", "/confirm", query=f"token={first}", headers={"accept": "text/html"})
    )
    assert "Politics" in page["body"] and "Casino" not in page["body"]  # the page says what it confirms
    assert post(world, "/confirm", "", query=f"token={first}")["statusCode"] == 200
    sub = profile(world, address)
    assert sub.status == SubscriberStatus.CONFIRMED and sub.topics == ["politics"] and not sub.everything
    assert post(world, "/confirm", "", query=f"token={second}")["statusCode"] == 200  # confirmed already
    assert profile(world, address).topics == ["politics"]  # and nothing changed


def test_a_link_from_before_an_unsubscribe_does_not_confirm_a_later_sign_up(world):
    address = "leaver@example.org"
    owner = viewer()
    assert sign_up(world, address, ip=owner, topics=["economy"]) == 202
    [old] = confirm_tokens(address)
    assert post(world, "/confirm", "", query=f"token={old}")["statusCode"] == 200
    rt = world.runtime()
    unsubscribe = rt.signer.mint(Purpose.UNSUBSCRIBE, rt.signer.subscriber_id(address))
    assert post(world, "/unsubscribe", "", query=f"token={unsubscribe}")["statusCode"] == 200
    assert sign_up(world, address, topics=["sport"]) == 202  # someone signs the address up again
    assert post(world, "/confirm", "", query=f"token={old}")["statusCode"] == 400
    assert profile(world, address).status == SubscriberStatus.PENDING
    new = confirm_tokens(address)[-1]
    assert post(world, "/confirm", "", query=f"token={new}")["statusCode"] == 200
    assert profile(world, address).topics == ["sport"]


# --- limits nobody can spend for someone else -------------------------------------------------------------


def test_a_victims_own_sign_up_still_reaches_them(world):
    for n in range(3):  # three strangers sign up variants of the victim's inbox
        assert sign_up(world, f"victim+x{n}@example.com") == 202
    assert sign_up(world, "victim@example.com") == 202  # the attacker the exact address too
    assert sign_up(world, "victim@example.com", ip=viewer()) == 202  # and the victim, from their own address
    assert len(mails_to("victim@example.com")) == 2


def test_random_gmail_sign_ups_do_not_silence_gmail(world):
    for n in range(120):
        sign_up(world, f"random{n}x{random.randrange(10**9)}@gmail.com")
    assert sign_up(world, "real.reader@gmail.com") == 202
    assert len(mails_to("real.reader@gmail.com")) == 1  # no per-domain allowance for a large provider


@pytest.fixture
def capped(aws):
    from newsdrop.local.stack import LocalStack

    stack = LocalStack(
        parameters={"GlobalMailsPerHour": "5", "DomainMailsPerHour": "3"},
        env_overrides={"POWERTOOLS_METRICS_DISABLED": "true"},
    ).deploy()
    return SubscriberStack(stack)


def test_the_global_cap_holds_and_says_so(capped, capsys):
    addresses = [f"p{n}@site{n}.example" for n in range(8)]
    assert {sign_up(capped, a) for a in addresses} == {202}
    assert sum(len(mails_to(a)) for a in addresses) == 5


def test_a_small_domain_is_counted_on_its_registrable_domain(capped):
    addresses = [f"p{n}@mail{n}.small-firm.co.uk" for n in range(5)]
    assert {sign_up(capped, a) for a in addresses} == {202}
    assert sum(len(mails_to(a)) for a in addresses) == 3  # subdomains are one domain


# --- SnapStart -------------------------------------------------------------------------------------------


def test_snapstart_hooks_reseed_and_forget_clients(world):
    from aws_lambda_powertools.utilities.parameters import base
    from snapshot_restore_py import get_after_restore, get_before_snapshot

    from newsdrop import aws
    from newsdrop.notify import snapstart, wiring

    snapstart.register()
    assert snapstart.before_snapshot in [h[0] for h in get_before_snapshot()]
    assert snapstart.after_restore in [h[0] for h in get_after_restore()]
    aws.client.cache_clear()
    snapstart.before_snapshot()  # warms without making a client: nothing in the snapshot belongs to a host
    assert aws.client.cache_info().currsize == 0
    world.runtime()  # a warm container: clients, the signing secret
    with world.env_of("subscribe"):
        wiring.subscription_runtime()
        wiring.origin_guard()
    assert wiring.subscription_runtime.cache_info().currsize == 1
    random.seed(7)
    snapshot_draw = random.random()
    random.seed(7)
    snapstart.after_restore()
    assert random.random() != snapshot_draw  # two copies of one snapshot draw different numbers
    assert wiring.subscription_runtime.cache_info().currsize == 0
    assert wiring.origin_guard.cache_info().currsize == 0  # the origin secret may have rotated since
    assert aws.client.cache_info().currsize == 0 and aws.resource.cache_info().currsize == 0
    assert not base.DEFAULT_PROVIDERS
    assert sign_up(world, "after-restore@example.org") == 202  # and the function works on


# --- the template -----------------------------------------------------------------------------------------


def test_the_api_is_on_snapstart_behind_exact_cloudfront_paths():
    from pathlib import Path

    from newsdrop.local.sam import load_template, translate

    root = Path(__file__).resolve().parents[1]
    template = load_template(root / "template.yaml")
    fn = template["Resources"]["SubscribeFunction"]["Properties"]
    assert fn["SnapStart"] == {"ApplyOn": "PublishedVersions"} and fn["AutoPublishAlias"] == "live"
    cfn = translate(template, "us-east-1", "s3://code/code.zip", root)["Resources"]
    permissions = [
        r for r in cfn.values() if r["Type"] == "AWS::Lambda::Permission" and "Subscribe" in json.dumps(r)
    ]
    assert permissions and all(
        p["Properties"]["FunctionName"] == {"Ref": "SubscribeFunctionAliaslive"} for p in permissions
    )
    api_body = json.dumps(cfn["NotificationsApi"]["Properties"]["Body"])
    assert "SubscribeFunctionAliaslive" in api_body  # the routes invoke the alias, the published version
    dist = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    api_paths = [b["PathPattern"] for b in dist["CacheBehaviors"] if b["TargetOriginId"] == "subscriptions"]
    routes = {e["Properties"]["Path"] for e in fn["Events"].values()}
    assert set(api_paths) == routes and not any("*" in p for p in api_paths)  # no article slug can reach them
    policy = template["Resources"]["SubscriptionsOriginRequestPolicy"]["Properties"][
        "OriginRequestPolicyConfig"
    ]
    headers = policy["HeadersConfig"]["Headers"]
    assert (
        "CloudFront-Viewer-Address" in headers and "Host" not in headers and "X-Forwarded-For" not in headers
    )
    acl = template["Resources"]["SubscribeWebAclResource"]
    assert acl["Condition"] == "HasSubscribeWebAcl" and acl["Properties"]["Scope"] == "CLOUDFRONT"
    groups = {
        r["Statement"].get("ManagedRuleGroupStatement", {}).get("Name") for r in acl["Properties"]["Rules"]
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= groups
    assert any("Captcha" in r.get("Action", {}) for r in acl["Properties"]["Rules"])
