"""What CloudFront does to a request and its response on the way through, read from template.yaml, so that the
local origin (`newsdrop.local.web`) behaves as the distribution does: the response headers policy (one
definition, the template's, for CloudFront and for `newsdrop dev`) and the viewer's address that the origin
request policy forwards to the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RESPONSE_HEADERS_POLICY = "AWS::CloudFront::ResponseHeadersPolicy"
# CloudFront sets these on the way to the origin and overwrites whatever a viewer sent under those names;
# a viewer may not pose as another address.
VIEWER_ADDRESS = "cloudfront-viewer-address"


@dataclass(frozen=True)
class ResponseHeader:
    name: str
    value: str
    override: bool  # CloudFront's Override: replace the origin's value, else only fill in a missing header


def response_headers_policy(template: dict[str, Any]) -> list[ResponseHeader]:
    """The headers of the template's (single) response headers policy, as CloudFront adds them to every
    response of the behaviours it is attached to."""
    policies = [
        res["Properties"]["ResponseHeadersPolicyConfig"]
        for res in template.get("Resources", {}).values()
        if res.get("Type") == RESPONSE_HEADERS_POLICY
    ]
    if not policies:
        return []
    if len(policies) > 1:
        raise ValueError(
            "template.yaml has more than one response headers policy; the local origin needs one"
        )
    config = policies[0]
    security = config.get("SecurityHeadersConfig", {})
    headers: list[ResponseHeader] = []
    if csp := security.get("ContentSecurityPolicy"):
        headers.append(
            ResponseHeader("Content-Security-Policy", csp["ContentSecurityPolicy"], bool(csp["Override"]))
        )
    if hsts := security.get("StrictTransportSecurity"):
        value = f"max-age={int(hsts['AccessControlMaxAgeSec'])}"
        if _true(hsts.get("IncludeSubdomains")):
            value += "; includeSubDomains"
        if _true(hsts.get("Preload")):
            value += "; preload"
        headers.append(ResponseHeader("Strict-Transport-Security", value, bool(hsts["Override"])))
    if options := security.get("ContentTypeOptions"):
        headers.append(ResponseHeader("X-Content-Type-Options", "nosniff", bool(options["Override"])))
    if frame := security.get("FrameOptions"):
        headers.append(ResponseHeader("X-Frame-Options", frame["FrameOption"], bool(frame["Override"])))
    if referrer := security.get("ReferrerPolicy"):
        headers.append(
            ResponseHeader("Referrer-Policy", referrer["ReferrerPolicy"], bool(referrer["Override"]))
        )
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        headers.append(ResponseHeader(item["Header"], item["Value"], bool(item["Override"])))
    return headers


def apply_response_headers(policy: list[ResponseHeader], headers: Any) -> None:
    """Add ``policy`` to ``headers`` (an origin's response headers, a case-insensitive multi-dict such as
    Werkzeug's ``Headers``) as the viewer receives them."""
    for header in policy:
        if header.override or header.name not in headers:
            headers[header.name] = header.value  # replaces every earlier value of that name


def viewer_headers(
    headers: dict[str, str], *, client_ip: str, client_port: int, origin_headers: dict[str, str] | None = None
) -> dict[str, str]:
    """The viewer's request headers as the API origin receives them: with `CloudFront-Viewer-Address` (the
    origin request policy forwards it) set from the connection, never from what the client claimed, and
    the origin's custom headers (the secret that tells the API a request came through the distribution),
    which replace any a client sent under those names."""
    ours = {VIEWER_ADDRESS} | {name.lower() for name in origin_headers or {}}
    kept = {name: value for name, value in headers.items() if name.lower() not in ours}
    # "198.51.100.10:46532"; an IPv6 address is written as is, so a reader splits at the last colon
    kept["CloudFront-Viewer-Address"] = f"{client_ip}:{client_port}"
    return kept | (origin_headers or {})


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
