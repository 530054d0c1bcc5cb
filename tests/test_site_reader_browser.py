"""The reader's site in Chromium, served with the site's strict Content-Security-Policy (the header CloudFront
and `newsdrop dev` send): no page breaks it, dark mode follows the system, search answers as the reader
types (and without JavaScript links to the topics), co-authors' pages lead to each other, and nothing
scrolls sideways at 1280 or 390 px. Pages are those of tests/test_site_reader.py's site (moto, the real
handlers), exported and served as files. With NEWSDROP_SCREENSHOTS=DIR, screenshots go there."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser import csp_violations
from local_site import ROOT
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from test_site_reader import site  # noqa: F401 (the module's site fixture)

from newsdrop.local.edge import response_headers_policy
from newsdrop.local.stack import load_template

# Every header of the template's response headers policy, the CSP among them, as CloudFront adds them.
POLICY = response_headers_policy(load_template(ROOT / "template.yaml"))
# Before any page script runs (CDP scripts are not subject to the page's CSP): every violation is kept.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
});
"""
PAGES = [
    "/",
    "/ferry-timetable-changes-for-the-winter/",
    "/authors/wei-zhang/",
    "/tags/elections/",
    "/tags/",
    "/search/?q=ferry",
    "/bookmarks/",
    "/bookmarks-2/",
]
FERRY = "/ferry-timetable-changes-for-the-winter/"


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        for header in POLICY:
            self.send_header(header.name, header.value)
        super().end_headers()

    def log_message(self, *args: object) -> None:
        return None


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def origin(site):  # noqa: F811
    with serve(site.folder) as url:
        yield url


@pytest.fixture
def reader(browser):
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    return browser


def view(driver, width: int, dark: bool) -> None:
    # Headless Chromium will not make a window narrower than 500 px: a phone's width is emulated.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
    )


def violations(driver) -> list[str]:
    """Both witnesses: the page's securitypolicyviolation events and Chromium's console log."""
    return driver.execute_script("return window.__violations || []") + csp_violations(driver)


def test_every_page_keeps_the_strict_csp_and_fits_both_widths_in_both_schemes(reader, origin):
    assert any(h.name == "Content-Security-Policy" and "style-src 'self';" in h.value for h in POLICY)
    shots = os.environ.get("NEWSDROP_SCREENSHOTS")
    for width in (1280, 390):
        for dark in (False, True):
            view(reader, width, dark)
            for path in PAGES:
                reader.get(origin + path)
                assert reader.execute_script("return document.readyState") == "complete"
                assert violations(reader) == [], (path, violations(reader))
                viewport = reader.execute_script("return document.documentElement.clientWidth")
                page_width = reader.execute_script("return document.documentElement.scrollWidth")
                assert page_width <= viewport, f"{path} at {width}px: {page_width}px wide"
                if shots:
                    name = (path.strip("/").split("?")[0] or "home").replace("/", "_")
                    Path(shots).mkdir(parents=True, exist_ok=True)
                    reader.save_screenshot(f"{shots}/{name}-{width}-{'dark' if dark else 'light'}.png")
    # a title of one 288-letter word wraps instead of widening the page
    view(reader, 390, False)
    reader.get(origin + "/" + "unbroken" * 10 + "/")  # (its slug is cut at 80 characters)
    assert reader.find_element(By.TAG_NAME, "h1").text.startswith("Unbroken")
    assert reader.execute_script("return document.documentElement.scrollWidth") <= 390


def test_the_csp_check_sees_a_violation_when_there_is_one(reader, origin, site):  # noqa: F811
    (site.folder / "inline-style.html").write_text(
        '<!doctype html><html lang="en"><title>t</title><p style="color: red">styled inline</p>'
    )
    reader.get(origin + "/inline-style.html")
    assert any(v.startswith("style-src") for v in violations(reader)), violations(reader)


def test_dark_mode_follows_the_system_setting(reader, origin):
    colours = {}
    for dark in (False, True):
        view(reader, 1280, dark)
        reader.get(origin + FERRY)
        colours[dark] = reader.execute_script(
            "var s = getComputedStyle(document.body); return [s.backgroundColor, s.color]"
        )
    assert colours[False] == ["rgb(255, 255, 255)", "rgb(27, 27, 31)"]
    assert colours[True] == ["rgb(21, 21, 26)", "rgb(232, 232, 238)"]


def test_search_answers_as_the_reader_types(reader, origin):
    view(reader, 1280, False)
    reader.get(origin + "/search/")
    box = reader.find_element(By.ID, "search-query")
    assert box.is_displayed()
    assert not reader.find_element(By.CSS_SELECTOR, "[data-search-fallback]").is_displayed()

    def titles() -> list[str]:  # read in one go: the list is rebuilt as the reader types
        return reader.execute_script(
            "return Array.from(document.querySelectorAll('[data-search-results] a'), a => a.textContent)"
        )

    box.send_keys("okaf")  # a word being typed matches as a prefix
    WebDriverWait(reader, 10).until(lambda d: len(titles()) == 2)
    assert set(titles()) == {"Ferry timetable changes for the winter", "Three reporters on the quay"}
    box.send_keys("or ferr")  # "okafor ferr": both words must match
    WebDriverWait(reader, 10).until(lambda d: titles() == ["Ferry timetable changes for the winter"])
    assert "1 article found." in reader.find_element(By.ID, "search-status").text
    reader.find_element(By.CSS_SELECTOR, "[data-search-results] a").click()
    WebDriverWait(reader, 10).until(lambda d: d.current_url.endswith(FERRY))
    reader.get(origin + "/search/?q=zzzz")
    WebDriverWait(reader, 10).until(lambda d: "No article" in d.find_element(By.ID, "search-status").text)
    assert violations(reader) == []


def test_without_javascript_search_links_to_the_topics(origin):
    from browser import chromium

    with chromium() as driver:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        driver.get(origin + "/search/")
        assert not driver.find_element(By.CSS_SELECTOR, "form[data-search]").is_displayed()
        link = driver.find_element(By.CSS_SELECTOR, "[data-search-fallback] a")
        link.click()
        WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/tags/"))
        topics = [a.text for a in driver.find_elements(By.CSS_SELECTOR, ".tag-cloud a")]
        assert "#elections" in topics and "#Transport" in topics


def test_co_authors_pages_lead_to_each_other_through_the_article(reader, origin):
    view(reader, 1280, False)
    reader.get(origin + FERRY)
    byline = reader.find_element(By.CSS_SELECTOR, ".byline .author").text
    assert byline == "Words by Hannah Okafor and Wei Zhang"
    reader.find_element(By.LINK_TEXT, "Wei Zhang").click()
    WebDriverWait(reader, 10).until(lambda d: d.current_url.endswith("/authors/wei-zhang/"))
    assert reader.find_element(By.TAG_NAME, "h1").text == "Articles by Wei Zhang"
    listed = [a.text for a in reader.find_elements(By.CSS_SELECTOR, ".article-list h2 a")]
    assert "Ferry timetable changes for the winter" in listed
    reader.find_element(By.LINK_TEXT, "Ferry timetable changes for the winter").click()
    reader.find_element(By.LINK_TEXT, "Hannah Okafor").click()
    WebDriverWait(reader, 10).until(lambda d: d.current_url.endswith("/authors/hannah-okafor/"))
    assert "Three reporters on the quay" in reader.find_element(By.CSS_SELECTOR, ".article-list").text
    assert violations(reader) == []
