"""Pagination of the home, tag and author lists: stable pages numbered from the oldest, so a new article
rewrites the front page (and once a page fills, one archive page), and every article is on exactly one
page, in order, with working older/newer links. The publisher's domain code on an in-memory index."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from newsdrop.models import Article, Tag
from newsdrop.site.entries import InMemorySiteIndex
from newsdrop.site.layout import layout
from newsdrop.site.publish import SitePublisher
from newsdrop.site.render import Renderer, SiteSettings

SIZE = 3
START = datetime(2025, 1, 1, tzinfo=UTC)


def make(i: int, tag: str = "Weather") -> Article:
    return Article(
        slug=f"a{i}",
        title=f"Article {i}",
        author="Ana Ruiz",
        published=START + timedelta(hours=i),
        body=f"Body of article {i}.",
        body_format="text",
        excerpt=f"Body of article {i}.",
        word_count=4,
        reading_minutes=1,
        editor_tags=[Tag(key=tag.lower(), label=tag)],
        source_key=f"incoming/a{i}.md",
        content_hash=f"h{i}",
    )


class Articles(dict):
    def get_article(self, slug):
        return self.get(slug)


def site_pages(pages: dict[str, bytes], prefix: str = "") -> list[list[str]]:
    """Follow the links from the front page to the oldest page: slugs on each page, in page order."""
    key, seen = f"{prefix}index.html", []
    while key:
        html = pages[key].decode()
        seen.append(re.findall(r'<h2><a href="/(a\d+)/">', html))
        older = re.search(r'<a href="/([^"]*)" rel="next">', html)
        key = f"{older.group(1)}index.html" if older else None
    return seen


def test_every_article_is_on_exactly_one_page_newest_first_and_new_ones_touch_the_front_page_only():
    articles = Articles()
    publisher = SitePublisher(
        articles,
        lambda slug: [],
        InMemorySiteIndex(),
        Renderer(SiteSettings("https://x.test")),
        page_size=SIZE,
    )
    pages: dict[str, bytes] = {}
    archive_writes = 0
    for i in range(14):
        articles[f"a{i}"] = make(i)
        changes = publisher.publish([f"a{i}"])
        for key in changes.deletes:
            pages.pop(key, None)
        pages |= {k: v.body for k, v in changes.puts.items()}
        written = {
            k
            for k in changes.puts
            if k.endswith("index.html") and not k.startswith(("a", "tags/", "authors/"))
        }
        assert "index.html" in written
        archive = written - {"index.html"}
        assert len(archive) <= 2  # the page that just left the front, and the link on the one before it
        archive_writes += len(archive)
        listed = site_pages(pages)
        flat = [slug for page in listed for slug in page]
        assert flat == [f"a{j}" for j in range(i, -1, -1)]  # all of them, once, newest first
        assert all(len(page) == SIZE for page in listed[1:])  # archive pages are full
    assert archive_writes < 14  # amortised: not every article moves a page
    assert site_pages(pages, "tags/weather/")[0][0] == "a13"


def test_removing_an_old_article_shifts_the_pages_after_it_and_deletes_a_page_left_empty():
    articles = Articles({f"a{i}": make(i) for i in range(10)})
    index = InMemorySiteIndex()
    publisher = SitePublisher(
        articles, lambda slug: [], index, Renderer(SiteSettings("https://x.test")), page_size=SIZE
    )
    pages = {k: v.body for k, v in publisher.publish_all(articles.values()).puts.items()}
    assert set(layout(10, SIZE)) == {None, 1, 2}
    del articles["a1"]
    changes = publisher.publish(["a1"])
    for key in changes.deletes:
        pages.pop(key, None)
    pages |= {k: v.body for k, v in changes.puts.items()}
    flat = [slug for page in site_pages(pages) for slug in page]
    assert flat == [f"a{j}" for j in range(9, -1, -1) if j != 1]
    assert (
        "a1/index.html" in changes.deletes and "page/2/index.html" in changes.deletes
    )  # 9 articles: one page fewer


def test_a_replayed_event_writes_the_same_pages_again_and_moves_nothing():
    """A batch that failed after the index changed is retried: the retry finds the entries in place and
    must still write the pages the first attempt may not have written, with the same content."""
    articles = Articles({"a0": make(0)})
    publisher = SitePublisher(
        articles,
        lambda slug: [],
        InMemorySiteIndex(),
        Renderer(SiteSettings("https://x.test")),
        page_size=SIZE,
    )
    publisher.publish(["a0"])
    articles["a1"] = make(1)
    first = publisher.publish(["a1"])
    again = publisher.publish(["a1"])
    assert {k: v.body for k, v in again.puts.items()} == {k: v.body for k, v in first.puts.items()}
    assert {"index.html", "tags/weather/index.html", "feed.xml"} <= set(again.puts)

    del articles["a1"]
    withdrawn = publisher.publish(["a1"])
    replayed = publisher.publish(["a1"])
    assert {k: v.body for k, v in replayed.puts.items()} == {k: v.body for k, v in withdrawn.puts.items()}
    assert replayed.deletes == withdrawn.deletes and "a1/index.html" in replayed.deletes
    assert b"a1" not in replayed.puts["index.html"].body and b"/a0/" in replayed.puts["index.html"].body
