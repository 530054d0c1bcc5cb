"""The subscriber HTTP API: double opt-in, preferences, one-click unsubscribe (RFC 8058).

Powertools' event handler with ``enable_validation=True``: request bodies are read by the pydantic models
of ``api_models`` (JSON, or the subscribe box's form post), a bad field is a 422 that names it, and the
OpenAPI document (``newsdrop.notify.openapi``) is generated from the same routes and models. What no model
can say (an unreadable body, a cross-site form, a request that skipped CloudFront) is refused before
routing, by ``http.edge_refusal``. A form post is answered with a page in the site's layout, never JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query

from newsdrop.notify import email as pages
from newsdrop.notify.api_models import (
    Accepted,
    LinkRequest,
    Preferences,
    PreferencesRequest,
    Problem,
    SubscribeRequest,
)
from newsdrop.notify.http import HTML, JSON, PAGE_HEADERS, is_form, viewer_network
from newsdrop.notify.subscribers import InvalidTopics, PreferencesChange, preferences_view
from newsdrop.notify.tokens import InvalidToken
from newsdrop.notify.wiring import subscription_runtime

app = APIGatewayHttpResolver(enable_validation=True)
# The routes carry no return annotation: Powertools would validate every answer against it, and an answer is
# a page or a JSON model by status; each route's `responses` documents them instead.

ACCEPTED = Accepted(message="If the address can receive mail, a confirmation link is on its way.")
LINK_ACCEPTED = Accepted(message="If the address is subscribed, a link is on its way.")
TOO_MANY = Problem(error="too_many_requests", message="slow down and try again in a few minutes")
INVALID_LINK = Problem(error="invalid_link", message="link invalid or expired")
Token = Annotated[str, Query(description="The signed token of the emailed link.")]


def _json(model: type) -> dict[str, Any]:
    return {"application/json": {"model": model}}


_PAGE = {"text/html": {"schema": {"type": "string"}}}
_REFUSALS: dict[int, Any] = {
    400: {"description": "Unreadable body or invalid link", "content": {**_json(Problem), **_PAGE}},
    403: {
        "description": "Not through the site's CDN, or a form from another site",
        "content": _json(Problem),
    },
    415: {"description": "JSON must be sent as application/json", "content": _json(Problem)},
    422: {"description": "A field is invalid (named in `field`)", "content": {**_json(Problem), **_PAGE}},
    429: {"description": "Too many requests from this reader", "content": {**_json(Problem), **_PAGE}},
}
_PAGES: dict[int, Any] = {
    200: {"description": "A page in the site's layout", "content": _PAGE},
    400: {
        "description": "The link is invalid or expired (or the body unreadable)",
        "content": {**_json(Problem), **_PAGE},
    },
    403: _REFUSALS[403],
    429: _REFUSALS[429],
}


def _service():
    ctx = app.current_event.request_context
    return subscription_runtime().subscription_service(
        f"https://{ctx.domain_name}" if ctx.domain_name else None
    )


def _page(status: int, body: str) -> Response:
    return Response(status, HTML, body, headers=PAGE_HEADERS)


def _problem(status: int, problem: Problem, **headers: str) -> Response:
    return Response(status, JSON, problem.model_dump(exclude_none=True), headers={**PAGE_HEADERS, **headers})


def _refused(service, *, mail: bool = False) -> Response | None:
    """The per-reader token buckets (one-click unsubscribe never comes here: nothing may refuse it)."""
    rt, reader = subscription_runtime(), viewer_network(app.current_event)
    buckets = [rt.policy.api, rt.policy.mail] if mail else [rt.policy.api]
    if all([service.allow_client(reader, bucket) for bucket in buckets]):  # every bucket is charged
        return None
    if is_form(app.current_event):
        return _page(429, pages.page_subscribe(service.settings, error=TOO_MANY.message))
    return _problem(429, TOO_MANY, **{"Retry-After": "120"})


@app.exception_handler(RequestValidationError)
def invalid_request(exc: RequestValidationError) -> Response:
    """A body the models refuse: 422 naming the field (400 when it is not JSON at all)."""
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
    field = loc[0] if loc and not loc[0].isdigit() else None
    if first.get("type") == "json_invalid" or (first.get("type") == "model_attributes_type" and not field):
        return _problem(400, Problem(error="bad_request", message="send a JSON object or a form"))
    message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
    if first.get("type") == "missing" and field:
        message = f"{field} is required"
    problem = Problem(
        error=f"invalid_{field}" if field in ("email", "topics") else "invalid_request",
        message=message,
        field=field,
    )
    if is_form(app.current_event):
        return _page(422, pages.page_subscribe(_service().settings, error=message, field=field))
    return _problem(422, problem)


@app.post(
    "/subscribers",
    responses={202: {"description": "Queued", "content": {**_json(Accepted), **_PAGE}}, **_REFUSALS},
)
def subscribe(body: SubscribeRequest):
    """Sign up: the same 202 whoever the address belongs to; the confirmation link is mailed."""
    service = _service()
    if refused := _refused(service, mail=True):
        return refused
    try:
        service.request_subscription(
            body.email, body.tags(), body.wants_everything(), requester=viewer_network(app.current_event)
        )
    except InvalidTopics as exc:
        if is_form(app.current_event):
            return _page(422, pages.page_subscribe(service.settings, error=str(exc), field="topics"))
        return _problem(422, Problem(error="invalid_topics", message=str(exc), field="topics"))
    if is_form(app.current_event):
        return _page(202, pages.page_check_inbox(service.settings))
    return Response(202, JSON, ACCEPTED.model_dump())


@app.post(
    "/preferences/link",
    responses={202: {"description": "Queued", "content": {**_json(Accepted), **_PAGE}}, **_REFUSALS},
)
def manage_link(body: LinkRequest):
    """ "Email me a fresh link": expired manage links end here."""
    service = _service()
    if refused := _refused(service, mail=True):
        return refused
    service.request_manage_link(body.email, requester=viewer_network(app.current_event))
    if is_form(app.current_event):
        return _page(202, pages.page_link_sent(service.settings))
    return Response(202, JSON, LINK_ACCEPTED.model_dump())


@app.get("/confirm", responses=_PAGES)
def confirm_page(token: Token = ""):
    """The emailed link: a page with the button that confirms (link scanners only ever GET)."""
    service = _service()
    if refused := _refused(service):
        return refused
    try:
        offer = service.check_confirm(token)
    except InvalidToken:
        return _page(400, pages.page_invalid_link(service.settings))
    return _page(200, pages.page_confirm(service.settings, token, offer))


@app.post("/confirm", responses=_PAGES)
def confirm(token: Token = ""):
    service = _service()
    if refused := _refused(service):
        return refused
    try:
        subscriber = service.confirm(token)
    except InvalidToken:
        return _page(400, pages.page_invalid_link(service.settings))
    return _page(200, pages.page_confirmed(service.settings, service.manage_token(subscriber.sid)))


@app.get(
    "/preferences",
    responses={
        200: {"description": "The subscription", "content": {**_json(Preferences), **_PAGE}},
        **_PAGES,
    },
)
def get_preferences(token: Token = ""):
    service = _service()
    if refused := _refused(service):
        return refused
    try:
        subscriber = service.preferences(token)
    except InvalidToken:
        return _page(400, pages.page_invalid_link(service.settings))
    if pages.wants_page(app.current_event):
        unsubscribe = service.unsubscribe_token(subscriber.sid)
        return _page(200, pages.page_preferences(service.settings, subscriber, token, unsubscribe))
    return Response(200, JSON, Preferences(**preferences_view(subscriber)).model_dump(), headers=PAGE_HEADERS)


@app.post(
    "/preferences",
    responses={
        200: {"description": "The subscription", "content": {**_json(Preferences), **_PAGE}},
        **_REFUSALS,
    },
)
def update_preferences(body: PreferencesRequest, token: Token = ""):
    service = _service()
    if refused := _refused(service):
        return refused
    form = is_form(app.current_event)
    change = PreferencesChange(
        follow=[] if form else body.follow,
        unfollow=[] if form else body.unfollow,
        everything=bool(body.everything) if form else body.everything,
        replace=(body.topics or []) if form else body.topics,
    )
    try:
        subscriber = service.update_preferences(token, change)
    except InvalidToken:
        if form:
            return _page(400, pages.page_invalid_link(service.settings))
        return _problem(400, INVALID_LINK)
    except InvalidTopics as exc:
        return _problem(422, Problem(error="invalid_topics", message=str(exc), field="topics"))
    if pages.wants_page(app.current_event):
        unsubscribe = service.unsubscribe_token(subscriber.sid)
        return _page(
            200, pages.page_preferences(service.settings, subscriber, token, unsubscribe, saved=True)
        )
    return Response(200, JSON, Preferences(**preferences_view(subscriber)).model_dump(), headers=PAGE_HEADERS)


@app.get("/unsubscribe", responses=_PAGES)
def unsubscribe_page(token: Token = ""):
    service = _service()
    if refused := _refused(service):
        return refused
    try:
        service.check_unsubscribe(token)
    except InvalidToken:
        return _page(400, pages.page_invalid_link(service.settings))
    return _page(200, pages.page_unsubscribe(service.settings, token))


@app.post("/unsubscribe", responses={200: _PAGES[200], 400: _PAGES[400], 403: _REFUSALS[403]})
def unsubscribe(token: Token = ""):
    """RFC 8058 one-click: mailbox providers POST ``List-Unsubscribe=One-Click``; the page's button too.
    No limit applies: a provider's POST must never be refused."""
    service = _service()
    try:
        service.unsubscribe(token)
    except InvalidToken:
        return _page(400, pages.page_invalid_link(service.settings))
    return _page(200, pages.page_unsubscribed(service.settings))


@app.not_found
def not_found(_exc) -> Response:
    return Response(404, JSON, {"error": "not_found", "message": "no such route"})
