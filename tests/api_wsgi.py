"""The subscribe function's Lambda handler as a WSGI app (Werkzeug), for HTTP clients such as schemathesis:
each request becomes the API Gateway HTTP API (payload 2.0) event the NotificationsApi sends, from the
client's own address, and the handler's answer becomes the response."""

from __future__ import annotations

import base64

from subscriber_stack import SubscriberStack, http_event
from werkzeug.wrappers import Request, Response


def wsgi_app(world: SubscriberStack):
    @Request.application
    def app(request: Request) -> Response:
        raw = request.get_data()
        try:
            body, encoded = raw.decode("utf-8"), False
        except UnicodeDecodeError:
            body, encoded = base64.b64encode(raw).decode(), True
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != "host"}
        event = http_event(
            request.method,
            request.path,
            query=request.query_string.decode("latin-1"),
            headers=headers,
            body=body or None,
            base64=encoded,
            source_ip=request.remote_addr or "127.0.0.1",
        )
        result = world.invoke("subscribe", event, drive=False)
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        return Response(data, status=result["statusCode"], headers=result.get("headers") or {})

    return app
