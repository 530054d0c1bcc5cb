"""The reader's site in a real browser (headless Chromium): pages published by the publisher function from the
template in moto, served with the subscription API on one local origin (`newsdrop.local.web`, as `newsdrop dev`
serves them). What a reader does: read an article, follow its related links, subscribe from its box and confirm
from the email, bookmark articles and manage them; and axe-core finds no serious accessibility problem."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from local_site import SLUGS, link_in, local_site
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
EMPTY = "You have not yet added any article to your bookmarks!"


@pytest.fixture(scope="module")
def site():
    with local_site() as running:
        yield running


def wait(driver, condition, what: str, timeout: float = 30):
    """Waits for the page's own script (not a timing assertion: the timeout only bounds a hang). The script
    re-renders lists, so an element read a moment ago may be gone: that is a "not yet"."""
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: condition(d), message=f"waiting for {what}"
    )


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_an_article_page_shows_its_title_tags_and_related_posts_that_lead_to_pages(site, browser):
    slug = SLUGS["bridge-reopens.md"]
    browser.get(site.url(f"/{slug}/"))

    headings = browser.find_elements(By.TAG_NAME, "h1")
    assert [h.text for h in headings] == ["Harbour bridge reopens after two years of repairs"]
    assert browser.title.startswith("Harbour bridge reopens after two years of repairs")
    tags = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".tags a")]
    assert {"#Transport", "#City Council"} <= set(tags), tags  # the editor's tags in their display form
    assert len({t.lower() for t in tags}) == len(tags), f"a tag shown twice: {tags}"
    for link in browser.find_elements(By.CSS_SELECTOR, ".tags a"):
        assert status_of(link.get_attribute("href")) == 200, link.get_attribute("href")

    related = [
        (a.text, a.get_attribute("href"), li.find_element(By.TAG_NAME, "p").text)
        for li in browser.find_elements(By.CSS_SELECTOR, ".related li")
        for a in li.find_elements(By.TAG_NAME, "a")[:1]
    ]
    related_slugs = {href.rstrip("/").rsplit("/", 1)[-1] for _, href, _ in related}
    # The two other bridge stories are what this one is about; the library and the night market are not.
    assert {SLUGS["bridge-tolls.md"], SLUGS["bridge-cables.md"]} <= related_slugs, related
    assert SLUGS["night-market.md"] not in related_slugs
    for title, href, excerpt in related:
        assert href.startswith(site.origin + "/"), href
        browser.get(href)  # each related link resolves to the article it names
        assert browser.find_element(By.TAG_NAME, "h1").text == title
        body = words(browser.find_element(By.CSS_SELECTOR, ".article-body").text)
        stem = excerpt.rstrip("…").rstrip(".").rstrip()
        assert stem and stem in body, (excerpt, body)
        after = body[body.index(stem) + len(stem) : body.index(stem) + len(stem) + 1]
        assert not after.isalnum(), f"the excerpt {excerpt!r} cuts a word of {title!r}"
    # Excerpts are cut (the bodies are longer than an excerpt), and they end on the whole word.
    assert any(e.endswith("…") for _, _, e in related), [e for _, _, e in related]


def test_a_reader_subscribes_from_the_article_box_confirms_from_the_email_and_gets_the_next_article(
    site, browser
):
    address = "reader.one@example.org"
    browser.get(site.url(f"/{SLUGS['bridge-tolls.md']}/"))
    form = browser.find_element(By.CSS_SELECTOR, "form.subscribe")
    assert form.get_attribute("action").startswith(site.origin + "/subscribers")  # one origin, as CloudFront
    form.find_element(By.CSS_SELECTOR, "input[type=email]").send_keys(address)
    topics = [
        box.get_attribute("value") for box in form.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")
    ]
    assert topics, "the box offers the article's tags as topics"
    form.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    wait(browser, lambda d: "confirmation" in d.find_element(By.TAG_NAME, "body").text.lower(), "the answer")

    site.settle()  # confirmations go out through a queue
    [confirmation] = site.mails_to(address)
    link = link_in(confirmation, "/confirm")
    assert link.startswith(site.origin + "/confirm?token="), link  # the email links back to this origin
    browser.get(link)
    assert "Confirm your subscription" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(
        browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "You are subscribed", "the confirmation"
    )

    site.drop(
        "bridge-lights.md",
        # No date: today's news (a fixed past date would be back-dated, published but never emailed).
        b'---\ntitle: "Harbour bridge lights up for the winter festival"\nauthor: Ines Barros\n'
        b"tags: [Transport, City Council, Engineering, Culture]\n---\n\n"
        b"The harbour bridge will be lit in festival colours every evening of the winter festival.\n",
    )
    mails = site.mails_to(address)
    assert [m["X-Newsdrop-Article"] for m in mails[1:]] == [
        "harbour-bridge-lights-up-for-the-winter-festival"
    ]
    assert status_of(site.url("/harbour-bridge-lights-up-for-the-winter-festival/")) == 200


def bookmark(browser, site, slug: str) -> None:
    browser.get(site.url(f"/{slug}/"))
    button = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "button[data-bookmark]"), "the button")
    wait(browser, lambda d: button.is_displayed(), "the script to show the bookmark button")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    assert button.get_attribute("aria-pressed") == "true"


def bookmarked_titles(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('main [data-bookmarks-items] li a')].map(a => a.textContent)"
    )


def test_bookmarks_are_kept_in_the_browser_listed_removed_and_forgotten_when_unpublished(site, browser):
    browser.get(site.url("/bookmarks/"))
    empty = browser.find_element(By.CSS_SELECTOR, "main [data-bookmarks-empty]")
    assert empty.text == EMPTY and empty.is_displayed()

    bookmark(browser, site, SLUGS["library-hours.md"])
    bookmark(browser, site, SLUGS["night-market.md"])
    browser.get(site.url("/bookmarks/"))
    titles = [
        "Night market returns to the old fish quay",
        "Central library extends its weekend opening hours",
    ]
    wait(browser, lambda d: bookmarked_titles(d) == titles, "both bookmarks, newest first")
    assert not browser.find_element(By.CSS_SELECTOR, "main [data-bookmarks-empty]").is_displayed()
    links = browser.find_elements(By.CSS_SELECTOR, "main [data-bookmarks-items] li a")
    assert [a.get_attribute("href") for a in links] == [
        site.url(f"/{SLUGS['night-market.md']}/"),
        site.url(f"/{SLUGS['library-hours.md']}/"),
    ]

    # Remove the library: a named button per entry ("Remove <title> from bookmarks" to a screen reader).
    remove = browser.find_elements(By.CSS_SELECTOR, "main [data-bookmarks-items] li button")[1]
    assert "Central library" in remove.get_attribute("textContent")
    remove.click()
    assert bookmarked_titles(browser) == ["Night market returns to the old fish quay"]
    browser.refresh()  # kept in localStorage, not in the page
    wait(browser, lambda d: bookmarked_titles(d) == ["Night market returns to the old fish quay"], "one left")
    stored = json.loads(browser.execute_script("return localStorage.getItem('newsdrop.bookmarks')"))
    assert [b["slug"] for b in stored] == [SLUGS["night-market.md"]]

    # The bookmarked article is unpublished (its file deleted from the drop bucket): it leaves the list.
    site.unpublish("night-market.md")
    assert status_of(site.url(f"/{SLUGS['night-market.md']}/")) == 404
    browser.refresh()
    wait(browser, lambda d: bookmarked_titles(d) == [], "the unpublished article to leave the list")
    empty = browser.find_element(By.CSS_SELECTOR, "main [data-bookmarks-empty]")
    assert empty.text == EMPTY and empty.is_displayed()


def test_the_bookmark_button_is_hidden_without_javascript_and_the_page_still_reads(site, browser):
    """Progressive enhancement: without script there is no dead button, and the page is all there."""
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(site.url(f"/{SLUGS['bridge-cables.md']}/"))
    button = browser.find_element(By.CSS_SELECTOR, "button[data-bookmark]")
    assert button.get_attribute("aria-pressed") is None, "script ran (it sets aria-pressed)"
    assert not button.is_displayed()
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Engineers explain")
    assert browser.find_element(By.CSS_SELECTOR, "form.subscribe").is_displayed()


def axe_violations(browser) -> list[dict]:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install axe-core (`npm ci`, .ci/run does)")
        pytest.skip("axe-core is not installed: npm ci")
    browser.execute_script(AXE.read_text())
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));"
    )
    return [v for v in result if v.get("impact") in ("serious", "critical")]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n.get('target') for n in v['nodes']][:5]}"
        for v in violations
    )


@pytest.mark.parametrize(
    "path",
    [
        f"/{SLUGS['bridge-reopens.md']}/",
        "/tags/transport/",
        "/",
        "/bookmarks/",
    ],
    ids=["article", "tag", "home", "bookmarks"],
)
def test_axe_finds_no_serious_or_critical_accessibility_violation(site, browser, path):
    # A bookmark first, so that the bookmarks page (and the article's box) are checked filled, not only empty.
    bookmark(browser, site, SLUGS["bridge-tolls.md"])
    browser.get(site.url(path))
    wait(browser, lambda d: d.execute_script("return document.readyState") == "complete", "the page")
    assert status_of(site.url(path)) == 200
    violations = axe_violations(browser)
    assert not violations, describe(violations)


def test_the_article_page_fits_a_phone_and_a_desktop_without_sideways_scrolling(site, browser):
    # Headless Chromium will not make a window narrower than 500 px: a phone's width is emulated.
    for width, mobile in ((1280, False), (375, True)):
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": mobile},
        )
        browser.get(site.url(f"/{SLUGS['bridge-reopens.md']}/"))
        assert browser.execute_script("return window.innerWidth") == width
        viewport = browser.execute_script("return document.documentElement.clientWidth")  # less a scrollbar
        page_width = browser.execute_script("return document.documentElement.scrollWidth")
        assert page_width <= viewport, f"{width}px: the page is {page_width}px wide"
        # On a phone the sidebar follows the article; on a desktop it stands beside it.
        article = browser.find_element(By.CSS_SELECTOR, "article.article").rect
        box = browser.find_element(By.CSS_SELECTOR, ".subscribe-box").rect
        if mobile:
            assert box["y"] >= article["y"] + article["height"]
        else:
            assert box["x"] >= article["x"] + article["width"] and box["y"] < article["y"] + article["height"]


def test_axe_reports_the_problems_of_a_page_that_has_them(browser, tmp_path):
    """The check above can fail: on a page with an unlabelled image and button, axe reports both."""
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html><body><img src="x.png"><button></button></body></html>')
    browser.get(page.as_uri())
    assert {"image-alt", "button-name"} <= {v["id"] for v in axe_violations(browser)}


def test_the_local_origin_routes_like_cloudfront_in_front_of_the_bucket_and_the_api(site):
    """API routes go to the subscribe function (from the template's HttpApi events), everything else to the
    bucket: a directory without its slash is redirected, a missing page is the site's 404 page."""
    request = urllib.request.Request(site.url("/subscribers"), data=b"{not json", method="POST")
    request.add_header("content-type", "application/json")
    try:
        urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as err:
        assert err.code == 400 and json.loads(err.read())["error"] == "bad_request"  # the handler's answer
    else:
        raise AssertionError("unreadable JSON was accepted")
    assert status_of(site.url("/subscribers")) == 404  # no GET route: API Gateway's 404, not a bucket key
    slug = SLUGS["bridge-cables.md"]
    with urllib.request.urlopen(site.url(f"/{slug}"), timeout=30) as response:  # follows the redirect
        assert response.url == site.url(f"/{slug}/")
    try:
        urllib.request.urlopen(site.url("/no-such-article/"), timeout=30)
    except urllib.error.HTTPError as err:
        assert err.code == 404 and b"<h1>" in err.read()
    else:
        raise AssertionError("a missing page answered 200")
    with urllib.request.urlopen(site.url("/static/bookmarks.js"), timeout=30) as response:
        assert "javascript" in response.headers["content-type"]


def test_hostile_titles_and_tampered_storage_never_run_script_in_the_bookmarks_list(site, browser):
    """Titles reach the list as text, and links are rebuilt from the slug: neither a title written to attack the
    page nor entries written into localStorage by hand can run script or link elsewhere."""
    title = '<img src=x onerror="window.pwned=1">Tides & "storms"'
    site.drop(
        "hostile.md",
        b"---\ntitle: '" + title.encode() + b"'\nslug: hostile-title\nauthor: Ines Barros\n"
        b"date: 2026-11-26T08:00:00Z\ntags: [Weather]\n---\n\nHigh tides and storms are expected along the coast.\n",
    )
    bookmark(browser, site, "hostile-title")
    shown = browser.find_element(By.TAG_NAME, "h1").text  # what ingest kept of the title (tags stripped)
    assert '"storms"' in shown
    browser.execute_script(
        "const list = JSON.parse(localStorage.getItem('newsdrop.bookmarks'));"
        "list.push({slug: 'javascript:window.pwned=2', title: 'bad slug'},"
        "          {slug: 'harbour-bridge-reopens-after-two-years-of-repairs', title: '<svg onload=window.pwned=3>',"
        "           url: 'javascript:window.pwned=4'});"
        "localStorage.setItem('newsdrop.bookmarks', JSON.stringify(list));"
    )
    browser.get(site.url("/bookmarks/"))
    wait(browser, lambda d: len(bookmarked_titles(d)) == 2, "the two valid entries")
    assert bookmarked_titles(browser) == [shown, "<svg onload=window.pwned=3>"]
    hrefs = [
        a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, "main [data-bookmarks-items] a")
    ]
    assert hrefs == [site.url("/hostile-title/"), site.url(f"/{SLUGS['bridge-reopens.md']}/")]
    for link in browser.find_elements(By.CSS_SELECTOR, "main [data-bookmarks-items] a"):
        link.click()
        browser.back()
    assert browser.execute_script("return window.pwned") is None
    assert not browser.find_elements(
        By.CSS_SELECTOR, "main [data-bookmarks-items] img, main [data-bookmarks-items] svg"
    )


def submit_the_box(browser, site, address: str) -> str:
    """Open an article and send its subscribe box with ``address``; returns the article's URL."""
    article = site.url(f"/{SLUGS['bridge-cables.md']}/")
    browser.get(article)
    form = browser.find_element(By.CSS_SELECTOR, "form.subscribe")
    form.find_element(By.CSS_SELECTOR, "input[type=email]").send_keys(address)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    return article


def test_with_javascript_the_box_answers_in_place_in_a_live_region(site, browser):
    article = submit_the_box(browser, site, "in.place@example.org")
    region = wait(
        browser,
        lambda d: d.find_element(By.CSS_SELECTOR, "form.subscribe [aria-live=polite][role=status]"),
        "the live region",
    )
    wait(browser, lambda d: "Check your inbox" in region.text, "the answer announced")
    assert browser.current_url == article  # no navigation, no JSON shown to the reader
    site.settle()
    assert len(site.mails_to("in.place@example.org")) == 1


def test_without_javascript_the_box_gets_pages_in_the_sites_layout_never_json(site, browser):
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    submit_the_box(browser, site, "no.script@example.org")
    wait(browser, lambda d: d.current_url.startswith(site.url("/subscribers")), "the form's own page")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Check your inbox" in body and not body.lstrip().startswith("{")
    stylesheets = [
        e.get_attribute("href") for e in browser.find_elements(By.CSS_SELECTOR, "link[rel=stylesheet]")
    ]
    assert any("/static/" in href for href in stylesheets), stylesheets  # the site's own look
    site.settle()
    assert len(site.mails_to("no.script@example.org")) == 1

    # An address the API refuses: the form again, the error beside the field, and no email.
    submit_the_box(browser, site, "no.dot@localhost")
    field = wait(
        browser,
        lambda d: d.find_element(By.CSS_SELECTOR, "input[name=email][aria-invalid=true]"),
        "the field",
    )
    described = field.get_attribute("aria-describedby")
    assert described and browser.find_element(By.ID, described.split()[0]).text.strip()
    assert browser.find_element(By.TAG_NAME, "body").text.lstrip()[:1] != "{"
    site.settle()
    assert site.mails_to("no.dot@localhost") == []
