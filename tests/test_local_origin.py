"""`newsdrop dev`'s origin speaks HTTP as a real server does and adds what CloudFront adds: the template's
response headers policy on every response, and the viewer's address on every API request. Raw sockets
where the point is the bytes on the wire (lengths, chunking, header counts)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from local_site import local_site

from newsdrop.local.edge import apply_response_headers, response_headers_policy
from newsdrop.local.stack import load_template

ROOT = Path(__file__).resolve().parents[1]
SUBSCRIBE = json.dumps({"email": "reader@example.com", "topics": ["everything"]}).encode()


@pytest.fixture(scope="module")
def site():
    with local_site() as running:
        yield running


def raw(site, request: bytes, *, timeout: float = 30) -> bytes:
    """Send ``request`` as is and read until the server closes the connection."""
    parts = urlsplit(site.origin)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def head_of(response: bytes) -> tuple[int, list[tuple[str, str]]]:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    return status, [(k.strip().lower(), v.strip()) for k, v in (line.split(":", 1) for line in head[1:])]


def policy_headers() -> dict[str, str]:
    return {h.name.lower(): h.value for h in response_headers_policy(load_template(ROOT / "template.yaml"))}


def test_the_template_defines_a_strict_policy_that_the_distribution_attaches_to_every_behaviour():
    template = load_template(ROOT / "template.yaml")
    headers = policy_headers()
    csp = {d.split()[0]: d.split()[1:] for d in headers["content-security-policy"].split("; ")}
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert "'unsafe-eval'" not in headers["content-security-policy"]
    assert headers["strict-transport-security"].startswith("max-age=63072000")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["permissions-policy"]
    config = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    assert all(b.get("ResponseHeadersPolicyId") == {"Ref": "SiteSecurityHeaders"} for b in behaviours)


def test_a_header_the_policy_does_not_override_is_left_to_the_origin():
    from werkzeug.datastructures import Headers

    policy = response_headers_policy(
        yaml.safe_load(
            """
Resources:
  P:
    Type: AWS::CloudFront::ResponseHeadersPolicy
    Properties:
      ResponseHeadersPolicyConfig:
        SecurityHeadersConfig:
          FrameOptions: {FrameOption: DENY, Override: false}
          ReferrerPolicy: {ReferrerPolicy: no-referrer, Override: true}
"""
        )
    )
    headers = Headers([("x-frame-options", "SAMEORIGIN"), ("Referrer-Policy", "unsafe-url")])
    apply_response_headers(policy, headers)
    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers.getlist("Referrer-Policy") == ["no-referrer"]


def test_pages_and_api_answers_carry_the_policy_and_one_cache_control(site):
    policy = response_headers_policy(load_template(ROOT / "template.yaml"))
    for request in (
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /confirm?token=not-a-token HTTP/1.1\r\nHost: x\r\n\r\n",  # a token page, from the API
    ):
        status, headers = head_of(raw(site, request))
        assert status in {200, 400, 404, 410}, request
        got = {}
        for name, value in headers:
            got.setdefault(name, []).append(value)
        for header in policy:
            values = got.get(header.name.lower(), [])
            assert len(values) == 1, (request, header.name, values)
            if header.override:
                assert values == [header.value], (request, header.name)
        assert len(got["cache-control"]) == 1, (request, got["cache-control"])
    # The token page keeps its own, stricter referrer policy (the template's does not override it).
    assert ("referrer-policy", "no-referrer") in headers


def test_a_length_that_is_not_a_number_is_a_400_not_a_crash(site):
    status, _ = head_of(raw(site, b"POST /subscribers HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"))
    assert status == 400


def test_an_oversized_body_is_refused_and_never_read_as_the_next_request(site):
    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    body = b"x" * (10 * 1024 * 1024) + smuggled
    response = raw(
        site,
        b"POST /subscribers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body,
    )
    status, headers = head_of(response)
    assert status == 413
    assert ("connection", "close") in headers
    assert response.count(b"HTTP/1.1 ") == 1  # one answer: the tail of the body was not a request


def test_a_chunked_body_is_read_as_the_same_body_sent_whole(site):
    whole = raw(
        site,
        b"POST /subscribers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(SUBSCRIBE)}\r\n\r\n".encode()
        + SUBSCRIBE,
    )
    half = len(SUBSCRIBE) // 2
    chunked = raw(
        site,
        b"POST /subscribers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + f"{half:x}\r\n".encode()
        + SUBSCRIBE[:half]
        + f"\r\n{len(SUBSCRIBE) - half:x}\r\n".encode()
        + SUBSCRIBE[half:]
        + b"\r\n0\r\n\r\n",
    )
    assert head_of(chunked)[0] == head_of(whole)[0]
    assert head_of(whole)[0] not in {400, 413, 422}  # a well-formed sign-up, not a parse failure
    assert chunked.split(b"\r\n\r\n", 1)[1] == whole.split(b"\r\n\r\n", 1)[1]


def test_the_api_sees_the_viewer_address_and_the_origin_secret_from_the_edge_never_from_the_client(
    site, monkeypatch
):
    seen = []
    route = next(r for r in site.server.routes.values() if r.path == "/confirm")
    function = site.stack.functions[route.function]
    real_invoke = function.invoke
    monkeypatch.setattr(function, "invoke", lambda event, *a, **k: seen.append(event) or real_invoke(event))
    raw(
        site,
        b"GET /confirm?token=x HTTP/1.1\r\nHost: x\r\nCloudFront-Viewer-Address: 203.0.113.9:443\r\n"
        b"X-Origin-Verify: forged\r\n\r\n",
    )
    address = seen[-1]["headers"]["cloudfront-viewer-address"]
    ip, _, port = address.rpartition(":")
    assert ip == "127.0.0.1" and port.isdigit()
    # and the distribution's secret header, in place of the client's
    secret = site.stack.origin_headers("subscriptions")["X-Origin-Verify"]
    assert seen[-1]["headers"]["x-origin-verify"] == secret != "forged"


def test_api_docs_show_the_committed_openapi_document_offline(site):
    status, headers = head_of(raw(site, b"GET /api/docs/ HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert status == 200 and ("content-type", "text/html; charset=utf-8") in headers
    for asset in ("init.js", "swagger-ui-bundle.js", "swagger-ui.css"):
        assert head_of(raw(site, f"GET /api/docs/{asset} HTTP/1.1\r\nHost: x\r\n\r\n".encode()))[0] == 200
    document = ROOT / "docs" / "openapi.json"
    response = raw(site, b"GET /api/docs/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
    if document.is_file():
        assert head_of(response)[0] == 200
        assert json.loads(response.split(b"\r\n\r\n", 1)[1]) == json.loads(document.read_text())
    else:
        assert head_of(response)[0] == 404


def test_every_kind_of_page_runs_its_script_under_the_production_csp_with_no_violation(site, browser):
    from browser import csp_violations
    from local_site import SLUGS
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    article = f"/{SLUGS['bridge-reopens.md']}/"
    csp_violations(browser)  # start from an empty log
    for path in (article, "/", "/tags/transport/", "/bookmarks/", "/no-such-page/"):
        browser.get(site.url(path))
        WebDriverWait(browser, 30).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        assert csp_violations(browser) == [], path
    # The site's own script ran under the policy: the article's bookmark button is set up by it.
    browser.get(site.url(article))
    button = WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "button[data-bookmark][aria-pressed]")
    )
    button.click()
    browser.get(site.url("/bookmarks/"))
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "main [data-bookmarks-items] li a"), "the bookmark listed"
    )
    # Swagger UI on /api/docs renders the API's operations under the same policy.
    browser.get(site.url("/api/docs/"))
    if (ROOT / "docs" / "openapi.json").is_file():
        WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"), "operations")
    assert csp_violations(browser) == []
    # The policy is really enforced: an inline script injected as markup is refused and reported.
    browser.execute_script(
        "const s = document.createElement('div'); s.innerHTML = '<img src=x onerror=\"window.ran=1\">';"
        "document.body.append(s);"
    )
    WebDriverWait(browser, 30).until(lambda d: csp_violations(d), "the refused inline handler reported")
    assert browser.execute_script("return window.ran") is None
