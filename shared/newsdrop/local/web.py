"""The reader's origin on this machine: the site from the stack's SiteBucket and the subscription API, on one
host and port, as CloudFront (S3 origin + API Gateway origin) serves them.

API routes are read from template.yaml (every ``HttpApi`` event of every function), and each request reaches
that function's real handler as an API Gateway HTTP API (payload 2.0) event, so the page's form, the emailed
links and the handler are exercised exactly as deployed. Everything else is a GetObject on the site bucket.
CloudFront's part is read from the template too (`newsdrop.local.edge`): the response headers policy on every
response, and the viewer's address in `CloudFront-Viewer-Address` on every API request.

HTTP itself is Werkzeug's (the WSGI server moto already brings): lengths, chunked bodies and oversized
bodies are handled there, and every connection is closed after its response, so an unread body can never
be parsed as the next request. `/api/docs` (this origin only, never deployed) shows docs/openapi.json in
Swagger UI.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from newsdrop.local.edge import (
    ResponseHeader,
    apply_response_headers,
    response_headers_policy,
    viewer_headers,
)
from newsdrop.local.stack import LocalStack
from newsdrop.notify.origin import API_ORIGIN_ID

log = logging.getLogger("newsdrop.web")
SITE_BUCKET = "SiteBucket"  # the template's logical id
MAX_BODY = 1 << 20  # API Gateway's payload limit is 10 MB; a subscribe form is a few hundred bytes
DRAIN_LIMIT = 64 << 20  # past this a refused body is not read: the client sees the connection close


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    function: str  # logical id


def api_routes(stack: LocalStack) -> list[ApiRoute]:
    """Every (method, path) -> function of the template's HTTP API events."""
    routes = []
    for logical_id, res in stack.template.get("Resources", {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (res.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                props = event.get("Properties", {})
                routes.append(ApiRoute(props.get("Method", "ANY").upper(), props["Path"], logical_id))
    return routes


def http_api_event(
    *, method: str, path: str, query: str, headers: dict[str, str], body: bytes, host: str, source_ip: str
) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event, as the Lambda integration sends it."""
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    text_body = _is_text(lowered.get("content-type", ""))
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": bool(body) and not text_body,
    }
    if "cookie" in lowered:
        event["cookies"] = [c.strip() for c in lowered.pop("cookie").split(";")]
    if params:
        event["queryStringParameters"] = params
    if body:
        event["body"] = body.decode("utf-8", "replace") if text_body else base64.b64encode(body).decode()
    return event


def _is_text(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return kind.startswith("text/") or kind in {
        "application/json",
        "application/x-www-form-urlencoded",
        "application/xml",
    }


class SiteServer:
    """Serve ``stack`` on ``http://host:port``. Bind first (``port=0`` picks a free one), so that the stack can be
    deployed with the origin as its site and API base URL; then `attach` it and `start`.

    ``lock`` is held around every function invocation: the local functions share this process's environment
    (each invocation swaps ``os.environ``), so an API request must not run while the dispatcher runs another.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, lock: threading.Lock | None = None):
        self.lock = lock or threading.Lock()
        self.activity = threading.Event()  # set after every API call (it may have sent mail)
        self.stack: LocalStack | None = None
        self.routes: dict[tuple[str, str], ApiRoute] = {}
        self.policy: list[ResponseHeader] = []
        self._httpd: BaseWSGIServer = make_server(
            host, port, self.wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        return f"http://{self._httpd.host}:{self._httpd.port}"

    def attach(self, stack: LocalStack) -> SiteServer:
        self.stack = stack
        self.routes = {(r.method, r.path): r for r in api_routes(stack)}
        self.policy = response_headers_policy(stack.template)
        return self

    def start(self) -> SiteServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="newsdrop-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- requests -----------------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        request.max_content_length = MAX_BODY
        try:
            response = self.respond(request)
        except RequestEntityTooLarge as exc:
            _drain(environ)
            response = _json(exc.code or 413, {"message": exc.name})
        except HTTPException as exc:  # Werkzeug's answers, as API Gateway gives its own
            response = _json(exc.code or 400, {"message": exc.name})
        except Exception:  # noqa: BLE001 (a broken handler is a 502 for this request, not a dead server)
            log.exception("%s %s failed", request.method, request.path)
            response = _json(502, {"message": "Internal Server Error"})
        if "Cache-Control" not in response.headers:  # an editor reloads to see a new page at once
            response.headers["Cache-Control"] = "no-cache"
        apply_response_headers(self.policy, response.headers)
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        method, path = request.method, request.path
        length = request.headers.get("Content-Length")
        if length is not None and not length.strip().isdigit():
            return _json(400, {"message": "Bad Request: Content-Length must be a number"})
        if path in {"/api/docs", "/api/docs/"} or path.startswith("/api/docs/"):
            return api_docs(self.stack, path)
        route = self.route("GET" if method == "HEAD" else method, path)
        if route is not None:
            body = request.get_data(cache=False)  # raises 413 past MAX_BODY (chunked bodies included)
            event = http_api_event(
                method=method,
                path=path,
                query=request.query_string.decode("latin-1"),
                headers=viewer_headers(
                    dict(request.headers.items()),
                    client_ip=request.remote_addr or "127.0.0.1",
                    client_port=int(request.environ.get("REMOTE_PORT") or 0),
                    origin_headers=self.stack.origin_headers(API_ORIGIN_ID),
                ),
                body=body,
                host=request.host,
                source_ip=request.remote_addr or "127.0.0.1",
            )
            result = self.invoke_api(route, event)
            log.info("%s %s -> %s (%s)", method, path, result["statusCode"], route.function)
            return _lambda_response(result)
        if self.is_api_path(path):  # a route of the API, another method: API Gateway's answer
            return _json(404, {"message": "Not Found"})
        if method not in {"GET", "HEAD"}:
            return Response(
                b"<Error><Code>MethodNotAllowed</Code></Error>", 403, content_type="application/xml"
            )
        status, payload, content_type, headers = self.site_object(path)
        return Response(payload, status, headers=headers, content_type=content_type)

    def route(self, method: str, path: str) -> ApiRoute | None:
        return self.routes.get((method, path)) or self.routes.get(("ANY", path))

    def is_api_path(self, path: str) -> bool:
        return any(p == path for _, p in self.routes)

    def invoke_api(self, route: ApiRoute, event: dict[str, Any]) -> dict[str, Any]:
        assert self.stack is not None
        with self.lock:
            result = self.stack.functions[route.function].invoke(event)
        self.activity.set()
        return _normalize_response(result)

    def site_object(self, path: str) -> tuple[int, bytes, str, dict[str, str]]:
        """(status, body, content type, extra headers) for a GET of ``path`` on the site bucket."""
        assert self.stack is not None
        s3 = self.stack.client("s3")
        bucket = self.stack.physical.get(SITE_BUCKET)
        if bucket is None:
            return 404, b"This stack has no SiteBucket.\n", "text/plain; charset=utf-8", {}
        key = unquote(path).lstrip("/")
        if key == "" or key.endswith("/"):
            key += "index.html"
        found = _get(s3, bucket, key)
        if found is None and "." not in key.rsplit("/", 1)[-1] and _get(s3, bucket, f"{key}/index.html"):
            return 301, b"", "text/plain", {"Location": f"{path}/"}
        if found is None:
            page = _get(s3, bucket, "404.html")
            if page is None:
                return 404, b"Not found\n", "text/plain; charset=utf-8", {}
            return 404, page[0], page[1] or "text/html; charset=utf-8", {}
        body, content_type = found
        return 200, body, content_type or _guess_type(key), {}


def _drain(environ: dict[str, Any]) -> None:
    """Read the refused body to its end (up to DRAIN_LIMIT), so that the client, still sending, sees the 413
    instead of a reset connection. The connection is closed after the response in any case (Werkzeug's
    server keeps none alive), so no byte of the body is ever read as a request."""
    stream, left = environ["wsgi.input"], DRAIN_LIMIT
    if not environ.get("wsgi.input_terminated"):  # a Content-Length body: read exactly that, no further
        left = min(left, int(environ.get("CONTENT_LENGTH") or 0))
    while left > 0 and (chunk := stream.read(min(65536, left))):
        left -= len(chunk)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s %s", self.address_string(), self.requestline, code)


# -- /api/docs: the API's OpenAPI document in Swagger UI (this origin only) ---------------------------------
OPENAPI_DOCUMENT = Path("docs") / "openapi.json"  # below the project root, next to template.yaml
SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Newsdrop API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
"""
# An external file, not an inline script: the page is served under the site's CSP like every other.
SWAGGER_INIT = 'window.ui = SwaggerUIBundle({url: "/api/docs/openapi.json", dom_id: "#swagger-ui", deepLinking: true});\n'
SWAGGER_ASSETS = {"swagger-ui.css": "text/css; charset=utf-8", "swagger-ui-bundle.js": "text/javascript"}


def api_docs(stack: LocalStack | None, path: str) -> Response:
    name = path.removeprefix("/api/docs").strip("/")
    if name == "":
        return Response(SWAGGER_PAGE, 200, content_type="text/html; charset=utf-8")
    if name == "init.js":
        return Response(SWAGGER_INIT, 200, content_type="text/javascript; charset=utf-8")
    if name == "openapi.json":
        document = (stack.root if stack else Path.cwd()) / OPENAPI_DOCUMENT
        if not document.is_file():
            return _json(404, {"message": f"{OPENAPI_DOCUMENT} is missing"})
        return Response(document.read_bytes(), 200, content_type="application/json")
    if name in SWAGGER_ASSETS:
        import swagger_ui_bundle  # a local extra: the UI's files, offline

        asset = Path(swagger_ui_bundle.swagger_ui_path) / name
        return Response(asset.read_bytes(), 200, content_type=SWAGGER_ASSETS[name])
    return _json(404, {"message": "Not Found"})


def _get(s3: Any, bucket: str, key: str) -> tuple[bytes, str | None] | None:
    try:
        obj = s3.get_object(Bucket=bucket, Key=key)
    except s3.exceptions.NoSuchKey:
        return None
    except s3.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "AccessDenied"}:
            return None
        raise
    content_type = obj.get("ContentType")
    if content_type in {None, "", "binary/octet-stream", "application/octet-stream"}:
        content_type = None
    return obj["Body"].read(), content_type


def _guess_type(key: str) -> str:
    extra = {".json": "application/json", ".xml": "application/xml", ".js": "text/javascript; charset=utf-8"}
    for suffix, kind in extra.items():
        if key.endswith(suffix):
            return kind
    kind = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def _normalize_response(result: Any) -> dict[str, Any]:
    """What API Gateway makes of a payload 2.0 handler's return value."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": json.dumps(result),
        }
    return result


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")


def _lambda_response(result: dict[str, Any]) -> Response:
    """The HTTP response API Gateway makes of a payload 2.0 Lambda result."""
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    response = Response(payload, int(result["statusCode"]))
    response.headers.remove("Content-Type")
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
            response.headers[str(name)] = str(value)
    if "Content-Type" not in response.headers:
        response.headers["Content-Type"] = "application/json"
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response
