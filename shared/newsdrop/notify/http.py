"""The HTTP edge of the subscriber API: what is refused before routing, who is asking, and the headers every
page needs. No AWS here.

Whatever a browser or a bot sends (any bytes, any content type, JSON nested thousands deep) either reaches
the validated routes as readable text or is refused here: nothing in here may raise.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from newsdrop.notify.topics import MAX_TOPICS

MAX_BODY_CHARS = 16 * 1024  # a sign-up or a preferences change is a few hundred bytes
MAX_JSON_DEPTH = 8  # the deepest body we accept: {"follow": ["x"]}

# The site's strict policy (CloudFront and `newsdrop dev` serve every page with it): the API's pages are in
# the site's layout, with its stylesheet and script from /static/, nothing inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Pages that carry a token in their URL: never cached, never leaked to another site by Referer, never framed
# (a framed unsubscribe or confirm button is a clickjacking target).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def _text(event: Any) -> str | None:
    try:
        raw = event.decoded_body
    except (ValueError, TypeError):  # base64 that is not base64
        return None
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return raw if len(raw) <= MAX_BODY_CHARS else None


def _depth_ok(raw: str) -> bool:
    """Refuse deep nesting before json.loads, whose recursion it would exhaust (RecursionError)."""
    depth = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return False
        elif ch in "]}":
            depth -= 1
    return True


JSON = "application/json"
HTML = "text/html; charset=utf-8"
FORM = "application/x-www-form-urlencoded"
# Routes that make us send mail, with a body: JSON only as application/json, forms only from our own pages.
MAIL_ROUTES = frozenset({"/subscribers", "/preferences/link", "/preferences"})


def _headers(event: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}


def _origin(url: str) -> str | None:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def _cross_site(headers: dict[str, str], own: set[str]) -> bool:
    """A form post we did not serve: ``Sec-Fetch-Site`` where the browser sends it, else ``Origin``, else
    ``Referer``; a post with none of them is refused too (every browser sends one of them)."""
    fetch_site = headers.get("sec-fetch-site", "").strip().lower()
    if fetch_site:
        return fetch_site not in ("same-origin", "none")
    sent = headers.get("origin") or headers.get("referer") or ""
    return _origin(sent) not in own


def problem(status: int, error: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": JSON, **PAGE_HEADERS},
        "body": json.dumps({"error": error, "message": message}),
        "isBase64Encoded": False,
    }


def edge_refusal(event: dict[str, Any], own_origins: set[str]) -> dict[str, Any] | None:
    """What the models cannot refuse, refused before routing (None: go on).

    * a body that is not text we can read (bad base64, bad UTF-8, too long, JSON nested too deep: what
      would make the parsers raise) is a 400;
    * on the routes that send mail, JSON only as ``application/json`` (415 otherwise: a ``text/plain``
      body is a "simple" cross-site request that needs no preflight), and a form post only from the site's
      own origin (403 otherwise), so no other web page can sign up its visitors' chosen addresses.
    One-click unsubscribe POSTs (mailbox providers, no Origin) are not mail routes."""
    http = (event.get("requestContext") or {}).get("http") or {}
    method, path = str(http.get("method", "")).upper(), str(event.get("rawPath") or http.get("path") or "")
    headers = _headers(event)
    try:
        raw = _text(_Body(event))
    except Exception:  # noqa: BLE001 (a decoded_body that raised anything is still a bad request)
        raw = None
    if raw is None:
        return problem(400, "bad_request", "the body is not readable text")
    if method != "POST" or path not in MAIL_ROUTES:
        return None
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == FORM:
        try:  # what Powertools' own parse would silently mangle (bad percent-escapes) is refused here
            parse_qs(raw, keep_blank_values=True, errors="strict", max_num_fields=4 * MAX_TOPICS)
        except (ValueError, UnicodeDecodeError):
            return problem(400, "bad_request", "the form is not readable")
        if _cross_site(headers, own_origins):
            return problem(403, "cross_site", "sign up on the site itself")
        return None
    if kind != JSON:
        return problem(415, "unsupported_media_type", "send JSON as application/json, or the site's form")
    if raw.strip() and not _depth_ok(raw):
        return problem(400, "bad_request", "send a JSON object or a form")
    return None


class _Body:
    """The event's body as ``_text`` reads it (Powertools' ``decoded_body``, without the data class)."""

    def __init__(self, event: dict[str, Any]):
        body = event.get("body")
        if body is None:
            self.decoded_body: Any = None
        elif event.get("isBase64Encoded"):
            self.decoded_body = base64.b64decode(body, validate=True)
        else:
            self.decoded_body = body


def is_form(event: Any) -> bool:
    return FORM in (event.headers or {}).get("content-type", "").lower()


def viewer_network(event: Any) -> str:
    """Who is asking, for the per-reader limits: the viewer address CloudFront saw
    (``CloudFront-Viewer-Address``, ``ip:port``; the origin request policy forwards it), else the address
    API Gateway saw (``requestContext.http.sourceIp``: a client reaching ``newsdrop dev`` directly). Never
    ``X-Forwarded-For``, which the client writes. An IPv6 reader is their /64: one subscriber line gets
    a whole /64, so single addresses would be free to rotate."""
    headers = event.headers or {}
    value = headers.get("cloudfront-viewer-address", "")
    host = value.rpartition(":")[0].strip("[]") if value.count(":") >= 1 else ""
    if not host:
        try:
            host = str(event.request_context.http.source_ip or "")
        except (AttributeError, KeyError, TypeError):
            host = ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
