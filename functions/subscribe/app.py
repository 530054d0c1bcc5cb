"""Subscriber HTTP API: double opt-in, preferences, one-click unsubscribe (RFC 8058)."""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from newsdrop.notify.email import (
    page_confirm,
    page_confirmed,
    page_invalid_link,
    page_preferences,
    page_unsubscribe,
    page_unsubscribed,
)
from newsdrop.notify.store import request_body, subscription_runtime, wants_html
from newsdrop.notify.subscribers import (
    InvalidEmail,
    InvalidTopics,
    preferences_change,
    preferences_view,
    subscribe_request,
)
from newsdrop.notify.tokens import InvalidToken
from newsdrop.observability import logger, tracer

app = APIGatewayHttpResolver()
HTML = "text/html; charset=utf-8"
ACCEPTED = {
    "status": "pending",
    "message": "If the address can receive mail, a confirmation link is on its way.",
}


def _service():
    ctx = app.current_event.request_context
    return subscription_runtime().subscription_service(
        f"https://{ctx.domain_name}" if ctx.domain_name else None
    )


def _token() -> str | None:
    return app.current_event.get_query_string_value("token")


@app.post("/subscribers")
def subscribe():
    body = request_body(app.current_event)
    if body is None:
        return Response(400, "application/json", {"error": "bad_request", "message": "send JSON or a form"})
    try:
        _service().subscribe(*subscribe_request(body))
    except InvalidEmail as exc:
        return Response(422, "application/json", {"error": "invalid_email", "message": str(exc)})
    except InvalidTopics as exc:
        return Response(422, "application/json", {"error": "invalid_topics", "message": str(exc)})
    return Response(202, "application/json", ACCEPTED)  # the same answer whoever the address belongs to


@app.get("/confirm")
def confirm_page():
    """The emailed link: a page with the button that confirms (link scanners only ever GET)."""
    service = _service()
    try:
        service.check_confirm(_token())
    except InvalidToken:
        return Response(400, HTML, page_invalid_link(service.settings))
    return Response(200, HTML, page_confirm(service.settings, _token()))


@app.post("/confirm")
def confirm():
    service = _service()
    try:
        subscriber = service.confirm(_token())
    except InvalidToken:
        return Response(400, HTML, page_invalid_link(service.settings))
    return Response(200, HTML, page_confirmed(service.settings, service.manage_token(subscriber.sid)))


@app.get("/preferences")
def get_preferences():
    service = _service()
    try:
        subscriber = service.preferences(_token())
    except InvalidToken:
        return Response(400, HTML, page_invalid_link(service.settings))
    if wants_html(app.current_event):
        return Response(
            200,
            HTML,
            page_preferences(
                service.settings, subscriber, _token(), service.unsubscribe_token(subscriber.sid)
            ),
        )
    return Response(200, "application/json", preferences_view(subscriber))


@app.post("/preferences")
def update_preferences():
    service, body = _service(), request_body(app.current_event)
    if body is None:
        return Response(400, "application/json", {"error": "bad_request", "message": "send JSON or a form"})
    try:
        subscriber = service.update_preferences(_token(), preferences_change(body))
    except InvalidToken:
        return Response(
            400, "application/json", {"error": "invalid_link", "message": "link invalid or expired"}
        )
    except InvalidTopics as exc:
        return Response(422, "application/json", {"error": "invalid_topics", "message": str(exc)})
    if wants_html(app.current_event):
        return Response(
            200,
            HTML,
            page_preferences(
                service.settings, subscriber, _token(), service.unsubscribe_token(subscriber.sid), saved=True
            ),
        )
    return Response(200, "application/json", preferences_view(subscriber))


@app.get("/unsubscribe")
def unsubscribe_page():
    service = _service()
    try:
        service.check_unsubscribe(_token())
    except InvalidToken:
        return Response(400, HTML, page_invalid_link(service.settings))
    return Response(200, HTML, page_unsubscribe(service.settings, _token()))


@app.post("/unsubscribe")
def unsubscribe():
    """RFC 8058 one-click: mailbox providers POST ``List-Unsubscribe=One-Click``; the page's button too."""
    service = _service()
    try:
        service.unsubscribe(_token())
    except InvalidToken:
        return Response(400, HTML, page_invalid_link(service.settings))
    return Response(200, HTML, page_unsubscribed(service.settings))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    return app.resolve(event, context)
