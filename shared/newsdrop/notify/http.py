"""The HTTP edge of the subscriber API: reading request bodies and who is asking, and the headers every
token-carrying page needs. No AWS here.

Whatever a browser or a bot sends (any bytes, any content type, JSON nested thousands deep) is either read
into a dict or refused with ``None`` (the handler answers 400): nothing in here may raise.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

MAX_BODY_CHARS = 16 * 1024  # a sign-up or a preferences change is a few hundred bytes
MAX_JSON_DEPTH = 8  # the deepest body we accept: {"follow": ["x"]}

# Pages that carry a token in their URL: never cached, never leaked to another site by Referer, never framed
# (a framed unsubscribe or confirm button is a clickjacking target). Inline styles are the page's own.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
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


LIST_FIELDS = frozenset({"topics"})


def request_body(event: Any) -> dict[str, Any] | None:
    """A JSON object or an HTML form post as a dict (forms get ``_form: True``); None if unreadable."""
    try:
        raw = _text(event)
    except Exception:  # a decoded_body that raised something else: still the caller's bad request
        return None
    if raw is None:
        return None
    content_type = (event.headers or {}).get("content-type", "").lower()
    if "application/x-www-form-urlencoded" in content_type:
        try:
            fields = parse_qs(raw, keep_blank_values=True, errors="strict", max_num_fields=50)
        except (ValueError, UnicodeDecodeError):
            return None
        # A form sends one `topics` field per ticked checkbox: all of them count, not the last.
        return {"_form": True, **{k: ",".join(v) if k in LIST_FIELDS else v[-1] for k, v in fields.items()}}
    if not raw.strip():
        return {}
    if not _depth_ok(raw):
        return None
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def wants_html(event: Any) -> bool:
    headers = event.headers or {}
    return "text/html" in headers.get("accept", "") or "application/x-www-form-urlencoded" in headers.get(
        "content-type", ""
    )


def client_ip(event: Any) -> str:
    """The address API Gateway saw (``requestContext.http.sourceIp``): not a header the client controls."""
    try:
        return str(event.request_context.http.source_ip or "unknown")
    except (AttributeError, KeyError, TypeError):
        return "unknown"
