"""Only through CloudFront (through the handlers on template.yaml in moto): the subscription API refuses
requests that skip the distribution, except the signed links of emails; the secret header rotates without
refusing anyone; `newsdrop dev`'s origin adds the header as the distribution does."""

from __future__ import annotations

import json
import uuid

import pytest
from subscriber_stack import SubscriberStack, http_event, mails_to, viewer_event
from test_subscribe_edge import confirm_tokens, profile

from newsdrop.notify import origin
from newsdrop.notify.subscribers import SubscriberStatus

SIGN_UP = json.dumps({"email": "reader@example.org", "topics": ["politics"]})


@pytest.fixture
def world(stack):
    return SubscriberStack(stack)


def sign_up(world, address, *, headers=None, direct=False):
    event = viewer_event(
        "POST",
        "/subscribers",
        viewer="198.51.100.7",
        headers={"content-type": "application/json", **(headers or {})},
        body=json.dumps({"email": address, "topics": ["politics"]}),
    )
    return world.invoke("subscribe", event, direct=direct)


def distribution_secret(world) -> str:
    return world.stack.origin_headers(origin.API_ORIGIN_ID)[origin.HEADER_NAME]


def test_the_distribution_sends_the_secret_that_the_api_checks(world):
    fn = world.stack.functions["SubscribeFunction"]
    secret = world.stack.client("secretsmanager").get_secret_value(SecretId=fn.env["ORIGIN_SECRET_ARN"])
    assert distribution_secret(world) == secret["SecretString"] and len(secret["SecretString"]) >= 32


def test_a_sign_up_that_skips_the_distribution_is_refused_and_sends_nothing(world):
    # the API's own address: no header, a guessed one, or a forged viewer address change nothing
    assert sign_up(world, "skipper@example.org", direct=True)["statusCode"] == 403
    forged = {"x-origin-verify": "guess", "cloudfront-viewer-address": "203.0.113.1:443"}
    refused = sign_up(world, "skipper@example.org", headers=forged, direct=True)
    assert refused["statusCode"] == 403 and json.loads(refused["body"])["error"] == "forbidden"
    assert mails_to("skipper@example.org") == []
    assert profile(world, "skipper@example.org") is None
    # the same request through the distribution
    assert sign_up(world, "skipper@example.org")["statusCode"] == 202
    assert len(mails_to("skipper@example.org")) == 1


def test_links_in_emails_keep_working_on_the_apis_own_address(world):
    """Emails sent before the site had a domain link to the API's own URL: a signed token is its own
    authority, and acts on its own subscription only."""
    assert sign_up(world, "early@example.org")["statusCode"] == 202
    [token] = confirm_tokens("early@example.org")
    confirmed = world.invoke("subscribe", http_event("POST", "/confirm", query=f"token={token}"), direct=True)
    assert confirmed["statusCode"] == 200
    assert profile(world, "early@example.org").status == SubscriberStatus.CONFIRMED


def test_new_emails_link_through_the_site():
    """The mail-building functions link to the site's address, where the distribution routes the API's
    paths, unless a separate subscriptions URL is set."""
    from conftest import ROOT

    from newsdrop.local.stack import load_template

    resources = load_template(ROOT / "template.yaml")["Resources"]
    for name in ("ConfirmationsFunction", "SenderFunction", "UnsubscribeMailFunction"):
        value = resources[name]["Properties"]["Environment"]["Variables"]["PUBLIC_API_BASE_URL"]
        assert value["Fn::If"][0] == "HasSubscriptionsBaseUrl"
        assert "execute-api" not in json.dumps(value) and "SiteDistribution.DomainName" in json.dumps(value)


def test_a_request_around_the_distribution_cannot_say_who_the_viewer_is():
    class NoSecret:
        def through_cloudfront(self, headers):
            return False

    event = http_event(
        "GET", "/unsubscribe", query="token=t", headers={"cloudfront-viewer-address": "203.0.113.1:443"}
    )
    event["queryStringParameters"] = {"token": "t"}
    assert origin.refusal(event, NoSecret()) is None  # a token link goes on...
    assert "cloudfront-viewer-address" not in event["headers"]  # ...without the address it wrote


def test_the_secret_rotates_without_refusing_a_request(world, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(origin, "_now", lambda: now[0])
    rotation = world.stack.functions["OriginSecretRotationFunction"]
    secret_id = world.stack.functions["SubscribeFunction"].env["ORIGIN_SECRET_ARN"]
    old = distribution_secret(world)
    assert sign_up(world, "one@example.org")["statusCode"] == 202  # the API has read the old value
    token = str(uuid.uuid4())
    secrets = world.stack.client("secretsmanager")

    def step(name):
        rotation.invoke({"SecretId": secret_id, "ClientRequestToken": token, "Step": name})

    step("createSecret")
    step("createSecret")  # Secrets Manager retries steps: a repeat changes nothing
    new = secrets.get_secret_value(SecretId=secret_id, VersionStage="AWSPENDING")["SecretString"]
    assert new != old
    step("setSecret")
    assert distribution_secret(world) == new
    now[0] += origin.REFRESH_AFTER_MISS  # CloudFront's deploy takes longer than the guard's re-read interval
    assert sign_up(world, "two@example.org")["statusCode"] == 202  # an edge with the new value
    assert (
        sign_up(world, "three@example.org", headers={"x-origin-verify": old}, direct=True)["statusCode"]
        == 202
    )
    step("testSecret")
    step("finishSecret")
    step("finishSecret")
    assert secrets.get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")["SecretString"] == new
    assert (
        sign_up(world, "four@example.org", headers={"x-origin-verify": old}, direct=True)["statusCode"] == 202
    )
    assert (
        sign_up(world, "five@example.org", headers={"x-origin-verify": "stale"}, direct=True)["statusCode"]
        == 403
    )
