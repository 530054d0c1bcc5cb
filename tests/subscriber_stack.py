"""The subscriber API and its queue consumers on template.yaml deployed into moto: the subscriber tests'
harness (``world``) and the abuse bench's. Invoking a function drives every event it causes (the mail
request queue to the confirmations function) before returning, as a deployed stack would shortly after."""

from __future__ import annotations

import email
import email.policy
import json
from contextlib import contextmanager
from typing import Any

from newsdrop.local.audience import prepare_mail
from newsdrop.local.dispatch import Dispatcher
from newsdrop.local.stack import LocalStack
from newsdrop.notify.origin import API_ORIGIN_ID

FUNCTIONS = {
    "subscribe": "SubscribeFunction",
    "confirmations": "ConfirmationsFunction",
    "feedback": "FeedbackFunction",
    "unsubscribe_mail": "UnsubscribeMailFunction",
    "sender": "SenderFunction",
}


# Tags of the site the tests' readers follow (topics must be the site's tags: the publisher counts them).
SITE_TAGS = ("politics", "economy", "sport", "tech", "transport", "city-council", "global-news", "a")


class SubscriberStack:
    def __init__(self, stack: LocalStack, tags: tuple[str, ...] = SITE_TAGS):
        self.stack = stack
        prepare_mail(stack)
        self.add_tags(*tags)
        self.dispatcher = Dispatcher(stack)
        self.session = stack.session
        self.ddb = stack.client("dynamodb")
        self.subscribers_table = stack.resource("SubscribersTable")
        self.deliveries_table = stack.resource("DeliveriesTable")
        self.feedback_url = stack.resource("FeedbackQueue")
        self.mail_request_url = stack.resource("MailRequestQueue")

    def add_tags(self, *keys: str) -> None:
        """Tags as the publisher leaves them in the site table: a listing that counts an article."""
        from newsdrop.site.layout import tag_listing

        ddb, table = self.stack.client("dynamodb"), self.stack.resource("SiteTable")
        for key in keys:
            item = {"pk": {"S": f"LIST#{tag_listing(key)}"}, "sk": {"S": "COUNT"}, "n": {"N": "1"}}
            ddb.put_item(TableName=table, Item=item)

    def invoke(self, name: str, event: dict[str, Any], *, drive: bool = True, direct: bool = False) -> Any:
        """Invoke a function; an API request arrives through the distribution, with the headers it adds on
        the way to the API (its secret), unless ``direct`` (a client that went to the API's own URL)."""
        if name == "subscribe" and not direct:
            added = {k.lower(): v for k, v in self.stack.origin_headers(API_ORIGIN_ID).items()}
            event = {**event, "headers": {**(event.get("headers") or {}), **added}}
        response = self.stack.functions[FUNCTIONS[name]].invoke(event)
        if drive:
            self.dispatcher.pump()
        return response

    @contextmanager
    def env_of(self, name: str):
        with self.stack.functions[FUNCTIONS[name]]._environment():
            yield

    def runtime(self):
        """The subscribe function's runtime (its store, signer and settings), built as it builds it."""
        from newsdrop.notify import wiring

        with self.env_of("subscribe"):
            wiring.subscription_runtime.cache_clear()
            return wiring.subscription_runtime()

    def queue_arn(self, url: str) -> str:
        return self.stack.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]


def http_event(
    method: str,
    path: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: str | None = None,
    base64: bool = False,
    source_ip: str = "192.0.2.1",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as the NotificationsApi sends it."""
    from urllib.parse import parse_qsl

    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value  # how API Gateway joins repeats
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "api.news.example.com", **(headers or {})},
        "queryStringParameters": params or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.news.example.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": "pytest",
            },
            "requestId": "req",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "05/Jan/2026:10:00:00 +0000",
            "timeEpoch": 1767607200000,
        },
        "body": body,
        "isBase64Encoded": base64,
    }


def viewer_event(
    method: str, path: str, *, viewer: str, query: str = "", headers: dict[str, str] | None = None, body=None
) -> dict[str, Any]:
    """A request as CloudFront delivers it: the reader's address in CloudFront-Viewer-Address, an edge
    server's in sourceIp (the same for every reader behind it)."""
    return http_event(
        method,
        path,
        query=query,
        headers={"cloudfront-viewer-address": f"{viewer}:443", **(headers or {})},
        body=body,
        source_ip="130.176.0.1",
    )


def sent_mails() -> list[email.message.EmailMessage]:
    from moto.backends import get_backend

    sent = get_backend("ses")["123456789012"]["us-east-1"].sent_messages
    return [email.message_from_string(m.raw_data, policy=email.policy.default) for m in sent]


def mails_to(address: str) -> list[email.message.EmailMessage]:
    return [m for m in sent_mails() if m["To"].addresses[0].addr_spec == address]


def response_json(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])
