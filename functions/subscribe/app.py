"""Subscriber HTTP API: double opt-in, preferences, one-click unsubscribe (RFC 8058)."""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from newsdrop.notify.email import (
    page_confirm,
    page_confirmed,
    page_invalid_link,
    page_link_sent,
    page_preferences,
    page_unsubscribe,
    page_unsubscribed,
)
from newsdrop.notify.http import PAGE_HEADERS, client_ip, request_body, wants_html
from newsdrop.notify.subscribers import (
    InvalidEmail,
    InvalidTopics,
    preferences_change,
    preferences_view,
    subscribe_request,
)
from newsdrop.notify.tokens import InvalidToken
from newsdrop.notify.wiring import subscription_runtime
from newsdrop.observability import logger, tracer

app = APIGatewayHttpResolver()
HTML = "text/html; charset=utf-8"
JSON = "application/json"
ACCEPTED = {
    "status": "pending",
    "message": "If the address can receive mail, a confirmation link is on its way.",
}
BAD_REQUEST = Response(400, JSON, {"error": "bad_request", "message": "send JSON or a form"})
TOO_MANY = {"error": "too_many_requests", "message": "slow down and try again in a few minutes"}


def _service():
    ctx = app.current_event.request_context
    return subscription_runtime().subscription_service(
        f"https://{ctx.domain_name}" if ctx.domain_name else None
    )


def _token() -> str | None:
    return app.current_event.get_query_string_value("token")


def _page(status: int, body: str) -> Response:
    return Response(status, HTML, body, headers=PAGE_HEADERS)


def _refused(service, *, mail: bool = False) -> Response | None:
    """The per-client token buckets (one-click unsubscribe never comes here: nothing may refuse it)."""
    rt, ip = subscription_runtime(), client_ip(app.current_event)
    buckets = [rt.policy.api, rt.policy.mail] if mail else [rt.policy.api]
    if all([service.allow_client(ip, bucket) for bucket in buckets]):  # every bucket is charged
        return None
    return Response(429, JSON, TOO_MANY, headers={"Retry-After": "120"})


@app.post("/subscribers")
def subscribe():
    service, body = _service(), request_body(app.current_event)
    refused = _refused(service, mail=True)
    if refused or body is None:
        return refused or BAD_REQUEST
    try:
        service.request_subscription(*subscribe_request(body))  # queued: the same work for every address
    except InvalidEmail as exc:
        return Response(422, JSON, {"error": "invalid_email", "message": str(exc)})
    except InvalidTopics as exc:
        return Response(422, JSON, {"error": "invalid_topics", "message": str(exc)})
    return Response(202, JSON, ACCEPTED)  # the same answer whoever the address belongs to


@app.post("/preferences/link")
def manage_link():
    """ "Email me a fresh link": expired manage links end here."""
    service, body = _service(), request_body(app.current_event)
    refused = _refused(service, mail=True)
    if refused or body is None:
        return refused or BAD_REQUEST
    try:
        service.request_manage_link(body.get("email"))
    except InvalidEmail as exc:
        return Response(422, JSON, {"error": "invalid_email", "message": str(exc)})
    if wants_html(app.current_event):
        return _page(202, page_link_sent(service.settings))
    return Response(
        202, JSON, {"status": "pending", "message": "If the address is subscribed, a link is on its way."}
    )


@app.get("/confirm")
def confirm_page():
    """The emailed link: a page with the button that confirms (link scanners only ever GET)."""
    service = _service()
    if refused := _refused(service):
        return refused
    try:
        service.check_confirm(_token())
    except InvalidToken:
        return _page(400, page_invalid_link(service.settings))
    return _page(200, page_confirm(service.settings, _token()))


@app.post("/confirm")
def confirm():
    service = _service()
    if refused := _refused(service):
        return refused
    try:
        subscriber = service.confirm(_token())
    except InvalidToken:
        return _page(400, page_invalid_link(service.settings))
    return _page(200, page_confirmed(service.settings, service.manage_token(subscriber.sid)))


@app.get("/preferences")
def get_preferences():
    service = _service()
    if refused := _refused(service):
        return refused
    try:
        subscriber = service.preferences(_token())
    except InvalidToken:
        return _page(400, page_invalid_link(service.settings))
    if wants_html(app.current_event):
        unsubscribe = service.unsubscribe_token(subscriber.sid)
        return _page(200, page_preferences(service.settings, subscriber, _token(), unsubscribe))
    return Response(200, JSON, preferences_view(subscriber), headers=PAGE_HEADERS)


@app.post("/preferences")
def update_preferences():
    service, body = _service(), request_body(app.current_event)
    refused = _refused(service)
    if refused or body is None:
        return refused or BAD_REQUEST
    try:
        subscriber = service.update_preferences(_token(), preferences_change(body))
    except InvalidToken:
        return Response(
            400, JSON, {"error": "invalid_link", "message": "link invalid or expired"}, PAGE_HEADERS
        )
    except InvalidTopics as exc:
        return Response(422, JSON, {"error": "invalid_topics", "message": str(exc)}, PAGE_HEADERS)
    if wants_html(app.current_event):
        unsubscribe = service.unsubscribe_token(subscriber.sid)
        return _page(200, page_preferences(service.settings, subscriber, _token(), unsubscribe, saved=True))
    return Response(200, JSON, preferences_view(subscriber), headers=PAGE_HEADERS)


@app.get("/unsubscribe")
def unsubscribe_page():
    service = _service()
    if refused := _refused(service):
        return refused
    try:
        service.check_unsubscribe(_token())
    except InvalidToken:
        return _page(400, page_invalid_link(service.settings))
    return _page(200, page_unsubscribe(service.settings, _token()))


@app.post("/unsubscribe")
def unsubscribe():
    """RFC 8058 one-click: mailbox providers POST ``List-Unsubscribe=One-Click``; the page's button too.
    No limit applies: a provider's POST must never be refused."""
    service = _service()
    try:
        service.unsubscribe(_token())
    except InvalidToken:
        return _page(400, page_invalid_link(service.settings))
    return _page(200, page_unsubscribed(service.settings))


@app.not_found
def not_found(_exc):
    return Response(404, JSON, {"error": "not_found", "message": "no such route"})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    return app.resolve(event, context)
