"""The site at a million articles, as a crawler and an API client see it: the sitemap index parses strictly
and lists sitemaps of at most the limit's URLs (a small limit stands in for sitemaps.org's 50,000 and 50 MB),
cut oldest first so that a new article leaves older sitemaps alone; the news sitemap keeps Google's 1,000;
the JSON API's tag and home listings are paginated like their pages, with the same stable numbering. The
publisher's domain code on an in-memory index (the moto site of tests/test_site_outputs.py checks the same
outputs against the sitemaps.org schemas through the real handlers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
import xmlschema

from newsdrop.models import Article, Tag
from newsdrop.site.entries import InMemorySiteIndex
from newsdrop.site.publish import SiteChanges, SitePublisher
from newsdrop.site.render import Renderer, SiteSettings

SCHEMAS = Path(__file__).parent / "schemas"
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
START = datetime(2025, 3, 1, tzinfo=UTC)
BASE = "https://news.example"


def make(i: int, hours: float | None = None, tags: tuple[str, ...] = ("Weather",)) -> Article:
    return Article(
        slug=f"a{i}",
        title=f"Article {i}",
        author="Ana Ruiz",
        published=START + timedelta(hours=i if hours is None else hours),
        body=f"Body of article {i}.",
        body_format="text",
        excerpt=f"Body of article {i}.",
        word_count=4,
        reading_minutes=1,
        editor_tags=[Tag(key=t.lower(), label=t) for t in tags],
        source_key=f"incoming/a{i}.md",
        content_hash=f"h{i}",
    )


class Site:
    """The publisher and the bucket it writes (key -> bytes)."""

    def __init__(self, **kwargs) -> None:
        self.articles: dict[str, Article] = {}
        self.now = START
        self.publisher = SitePublisher(
            self,
            lambda slug: [],
            InMemorySiteIndex(),
            Renderer(SiteSettings(BASE)),
            now=lambda: self.now,
            **kwargs,
        )
        self.bucket: dict[str, bytes] = {}

    def get_article(self, slug: str) -> Article | None:
        return self.articles.get(slug)

    def apply(self, changes: SiteChanges) -> SiteChanges:
        for key in changes.deletes:
            self.bucket.pop(key, None)
        self.bucket |= {k: v.body for k, v in changes.puts.items()}
        return changes

    def add(self, article: Article) -> SiteChanges:
        self.articles[article.slug] = article
        self.now = max(self.now, article.published)
        return self.apply(self.publisher.publish([article.slug]))

    def withdraw(self, slug: str) -> SiteChanges:
        del self.articles[slug]
        return self.apply(self.publisher.publish([slug]))

    def key(self, url: str) -> str:
        assert url.startswith(BASE + "/"), url
        return urlsplit(url).path.lstrip("/")

    def sitemaps(self) -> dict[str, list[str]]:
        """Sitemap key -> the article paths it lists, read as a crawler does: from the index, strictly."""
        index = self.bucket["sitemap.xml"].decode()
        xmlschema.XMLSchema(SCHEMAS / "siteindex.xsd").validate(index)
        urlset = xmlschema.XMLSchema(SCHEMAS / "sitemap.xsd")
        out = {}
        for loc in ElementTree.fromstring(index).iter(f"{NS}loc"):
            key = self.key(loc.text)
            urlset.validate(self.bucket[key].decode())
            out[key] = [
                urlsplit(u.text).path for u in ElementTree.fromstring(self.bucket[key]).iter(f"{NS}loc")
            ]
        return out


def test_sitemaps_split_at_the_limit_oldest_first_and_a_new_article_leaves_older_sitemaps_alone():
    site = Site(sitemap_urls=3)
    for i in range(11):  # 11 articles of one month: parts of 3, 3, 3 and 2
        before = dict(site.bucket)
        changes = site.add(make(i))
        sitemaps = site.sitemaps()
        assert all(len(urls) <= 3 for urls in sitemaps.values())
        listed = [path for urls in sitemaps.values() for path in urls]
        assert listed == [f"/a{j}/" for j in range(i + 1)]  # each once, oldest first across the parts
        written = {k for k in changes.puts if k.startswith("sitemaps/")}
        assert written == {list(sitemaps)[-1]}  # only the part holding the new article
        for key in sitemaps:
            if key not in written:
                assert site.bucket[key] == before[key]
    assert list(site.sitemaps()) == [
        "sitemaps/2025-03.xml",
        "sitemaps/2025-03-2.xml",
        "sitemaps/2025-03-3.xml",
        "sitemaps/2025-03-4.xml",
    ]
    # an article of April starts April's sitemap; March's are not written again
    changes = site.add(make(11, hours=24 * 31))
    assert {k for k in changes.puts if k.startswith("sitemaps/")} == {"sitemaps/2025-04.xml"}

    # withdrawing an old article shifts only its month's later parts; the part left empty goes
    site.withdraw("a1")
    site.withdraw("a2")
    sitemaps = site.sitemaps()
    assert "sitemaps/2025-03-4.xml" not in site.bucket and "sitemaps/2025-03-4.xml" not in sitemaps
    assert [p for urls in sitemaps.values() for p in urls] == [
        f"/a{j}/" for j in range(12) if j not in (1, 2)
    ]


def test_a_sitemap_also_stays_within_the_byte_limit():
    site = Site(sitemap_bytes=1_200)
    assert 1 <= site.publisher.sitemap_urls < 10
    for i in range(12):
        site.add(make(i))
    sitemaps = site.sitemaps()
    assert len(sitemaps) > 1
    assert all(len(site.bucket[key]) <= 1_200 for key in sitemaps)
    assert len([p for urls in sitemaps.values() for p in urls]) == 12


def test_the_real_limits_are_sitemaps_orgs_50000_urls_and_50_mb():
    from newsdrop.site.layout import SITEMAP_MAX_BYTES, SITEMAP_MAX_URLS

    site = Site()
    assert (SITEMAP_MAX_URLS, SITEMAP_MAX_BYTES) == (50_000, 50 * 1024 * 1024)
    assert site.publisher.sitemap_urls == 50_000  # the longest article URL fits 50,000 times in 50 MB


def test_the_news_sitemap_holds_at_most_1000_articles_of_the_last_two_days():
    site = Site()
    for i in range(1_003):  # a busy two days: one article every two minutes
        site.articles[f"a{i}"] = make(i, hours=i / 30)
    site.now = START + timedelta(hours=1_002 / 30)
    changes = site.apply(site.publisher.publish(list(site.articles)))
    news = ElementTree.fromstring(changes.puts["news-sitemap.xml"].body)
    paths = [urlsplit(loc.text).path for loc in news.iter(f"{NS}loc")]
    assert len(paths) == 1_000 and paths[0] == "/a1002/" and paths[-1] == "/a3/"  # the newest, newest first


def api_pages(site: Site, key: str) -> list[list[str]]:
    """Follow the API's "older" links from a listing's front document: slugs per document."""
    seen = []
    while key:
        doc = json.loads(site.bucket[key])
        seen.append([a["slug"] for a in doc["articles"]])
        assert doc["newer"] is None if len(seen) == 1 else doc["newer"]
        key = doc["older"].lstrip("/") if doc["older"] else None
    return seen


@pytest.mark.parametrize(
    ("front", "archive", "html"),
    [
        ("api/tags/weather.json", "api/tags/weather/page/", "tags/weather/page/"),
        ("api/latest.json", "api/page/", "page/"),
    ],
)
def test_the_api_listings_are_paginated_like_the_pages_and_their_pages_keep_their_articles(
    front, archive, html
):
    site = Site(page_size=3)
    for i in range(10):
        site.add(make(i))
    first = api_pages(site, front)
    assert [slug for page in first for slug in page] == [f"a{j}" for j in range(9, -1, -1)]
    documents = {k: json.loads(v)["articles"] for k, v in site.bucket.items() if k.startswith(archive)}
    assert len(documents) == 2 and all(len(articles) == 3 for articles in documents.values())
    for i in range(10, 17):
        site.add(make(i))
    for key, articles in documents.items():  # an archive document names the same articles as new ones arrive
        assert json.loads(site.bucket[key])["articles"] == articles
    assert [slug for page in api_pages(site, front) for slug in page] == [f"a{j}" for j in range(16, -1, -1)]
    for number in (1, 2, 3):  # each document lists what its page shows, in the same order
        page = site.bucket[f"{html}{number}/index.html"].decode()
        slugs = [a["slug"] for a in json.loads(site.bucket[f"{archive}{number}.json"])["articles"]]
        assert [page.index(f'href="/{slug}/"') for slug in slugs] == sorted(
            page.index(f'href="/{slug}/"') for slug in slugs
        )
