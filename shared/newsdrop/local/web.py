"""The reader's origin on this machine: the site from the stack's SiteBucket and the subscription API, on one
host and port, as CloudFront (S3 origin + API Gateway origin) serves them.

API routes are read from template.yaml (every ``HttpApi`` event of every function), and each request reaches
that function's real handler as an API Gateway HTTP API (payload 2.0) event, so the page's form, the emailed
links and the handler are exercised exactly as deployed. Everything else is a GetObject on the site bucket.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import threading
import time
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from newsdrop.local.stack import LocalStack

log = logging.getLogger("newsdrop.web")
SITE_BUCKET = "SiteBucket"  # the template's logical id
MAX_BODY = 1 << 20  # API Gateway's payload limit is 10 MB; a subscribe form is a few hundred bytes


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
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def attach(self, stack: LocalStack) -> SiteServer:
        self.stack = stack
        self.routes = {(r.method, r.path): r for r in api_routes(stack)}
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
        import json

        return {
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": json.dumps(result),
        }
    return result


def _handler_for(server: SiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "newsdrop-dev"

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), fmt % args)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def do_OPTIONS(self) -> None:
            self._serve("OPTIONS")

        def _serve(self, method: str) -> None:
            try:
                self._dispatch(method)
            except Exception:  # noqa: BLE001 (a broken handler is a 500 for this request, not a dead server)
                log.exception("%s %s failed", method, self.path)
                self._send(502, b'{"message":"Internal Server Error"}', "application/json", {})

        def _dispatch(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._send(413, b'{"message":"Request Entity Too Large"}', "application/json", {})
                return
            body = self.rfile.read(length) if length else b""
            route = server.route("GET" if method == "HEAD" else method, url.path)
            if route is not None:
                event = http_api_event(
                    method=method,
                    path=url.path,
                    query=url.query,
                    headers=dict(self.headers.items()),
                    body=body,
                    host=self.headers.get("host", ""),
                    source_ip=self.client_address[0],
                )
                response = server.invoke_api(route, event)
                log.info("%s %s -> %s (%s)", method, url.path, response["statusCode"], route.function)
                self._send_lambda(response, head=method == "HEAD")
                return
            if server.is_api_path(url.path):  # a route of the API, another method: API Gateway's answer
                self._send(404, b'{"message":"Not Found"}', "application/json", {})
                return
            if method not in {"GET", "HEAD"}:
                self._send(403, b"<Error><Code>MethodNotAllowed</Code></Error>", "application/xml", {})
                return
            status, payload, content_type, headers = server.site_object(url.path)
            self._send(status, payload, content_type, headers, head=method == "HEAD")

        def _send_lambda(self, response: dict[str, Any], *, head: bool) -> None:
            body = response.get("body") or ""
            payload = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode("utf-8")
            headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
            content_type = headers.pop("Content-Type", None) or headers.pop(
                "content-type", "application/json"
            )
            self._send(
                int(response["statusCode"]),
                payload,
                content_type,
                headers,
                cookies=response.get("cookies") or [],
                head=head,
            )

        def _send(
            self,
            status: int,
            payload: bytes,
            content_type: str,
            headers: dict[str, str],
            *,
            cookies: list[str] | tuple[str, ...] = (),
            head: bool = False,
        ) -> None:
            self.send_response(
                status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            )
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-cache")  # an editor reloads to see a new page at once
            for name, value in headers.items():
                if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                    self.send_header(name, value)
            for cookie in cookies:
                self.send_header("Set-Cookie", cookie)
            self.end_headers()
            if not head:
                self.wfile.write(payload)

    return Handler
