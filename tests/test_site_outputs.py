"""The site's machine outputs, as a feed reader or a crawler fetches them from the published site: RSS parses with
feedparser without errors, feed.json validates against the JSON Feed 1.1 schema, and the sitemaps validate
against the sitemaps.org XSDs (tests/schemas/, with their sources). Site-wide and per tag."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import jsonschema
import pytest
import xmlschema
from local_site import ARTICLES, SLUGS, local_site

SCHEMAS = Path(__file__).parent / "schemas"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture(scope="module")
def site():
    with local_site() as running:
        yield running


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("content-type", ""), err.read()


def get(site, path: str) -> tuple[str, bytes]:
    status, content_type, body = fetch(site.url(path))
    assert status == 200, f"{path}: {status}"
    return content_type, body


def local(site, url: str) -> str:
    """An absolute URL of the site (feeds and sitemaps use them), fetched from the local origin."""
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc, url
    assert url.startswith(site.origin), f"{url} is not on the site's base URL {site.origin}"
    return site.url(parts.path)


@pytest.mark.parametrize("path", ["/feed.xml", "/tags/transport/feed.xml"])
def test_rss_feeds_parse_without_errors_and_list_the_articles(site, path):
    content_type, body = get(site, path)
    assert "xml" in content_type
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version.startswith("rss") or feed.version.startswith("atom"), feed.version
    titles = [entry.title for entry in feed.entries]
    assert "Harbour bridge reopens after two years of repairs" in titles
    if path.startswith("/tags/transport/"):
        assert (
            "Night market returns to the old fish quay" not in titles
        )  # a tag's feed holds its articles only
    else:
        assert len(titles) >= len(ARTICLES)
    for entry in feed.entries:
        assert fetch(local(site, entry.link))[0] == 200, entry.link
        assert entry.get("published_parsed"), entry.title
    ids = [entry.id for entry in feed.entries]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", ["/feed.json", "/tags/transport/feed.json"])
def test_json_feeds_validate_against_the_json_feed_1_1_schema(site, path):
    content_type, body = get(site, path)
    assert "json" in content_type
    feed = json.loads(body)
    schema = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(feed), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert local(site, feed["feed_url"]) == site.url(path)
    assert feed["items"], "an empty feed"
    for item in feed["items"]:
        datetime.fromisoformat(item["date_published"])  # RFC 3339 (the schema's format check needs extras)
        assert fetch(local(site, item["url"]))[0] == 200, item["url"]
    assert len({item["id"] for item in feed["items"]}) == len(feed["items"])


def test_the_sitemap_index_and_its_sitemaps_validate_against_the_sitemaps_org_xsd(site):
    _, body = get(site, "/sitemap.xml")
    root = ElementTree.fromstring(body)
    if root.tag == f"{SITEMAP_NS}sitemapindex":
        xmlschema.XMLSchema(SCHEMAS / "siteindex.xsd").validate(body.decode())
        sitemaps = [local(site, loc.text) for loc in root.iter(f"{SITEMAP_NS}loc")]
    else:
        sitemaps = [site.url("/sitemap.xml")]
    assert sitemaps
    urlset = xmlschema.XMLSchema(SCHEMAS / "sitemap.xsd")
    listed = set()
    for url in sitemaps:
        status, _, xml = fetch(url)
        assert status == 200, url
        urlset.validate(xml.decode())
        listed |= {urlsplit(loc.text).path for loc in ElementTree.fromstring(xml).iter(f"{SITEMAP_NS}loc")}
    assert {f"/{slug}/" for slug in SLUGS.values()} <= listed
    for path in listed:
        assert fetch(site.url(path))[0] == 200, path


def test_the_news_sitemap_lists_only_the_last_48_hours(site):
    site.drop(
        "fresh.md",
        b'---\ntitle: "Ferry timetable changes from Monday"\nauthor: Ines Barros\ntags: [Transport]\n---\n\n'
        b"The harbour ferry runs every twenty minutes from Monday, and until midnight on Fridays.\n",
    )  # no date: published now
    _, body = get(site, "/news-sitemap.xml")
    # <news:news> is Google's namespace (no XSD of it here): its required elements are checked by hand.
    root = ElementTree.fromstring(body)
    assert root.tag == f"{SITEMAP_NS}urlset"
    entries = {
        urlsplit(url.find(f"{SITEMAP_NS}loc").text).path: url.find(f"{NEWS_NS}news")
        for url in root.iter(f"{SITEMAP_NS}url")
    }
    assert "/ferry-timetable-changes-from-monday/" in entries
    assert f"/{SLUGS['bridge-reopens.md']}/" not in entries  # dated days ago
    for path, news in entries.items():
        assert news is not None, path
        assert news.find(f"{NEWS_NS}title").text
        assert news.find(f"{NEWS_NS}publication/{NEWS_NS}name").text
        published = datetime.fromisoformat(news.find(f"{NEWS_NS}publication_date").text)
        assert datetime.now(published.tzinfo) - published < timedelta(hours=48)
