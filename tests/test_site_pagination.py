"""Pagination of the home, tag and author lists: stable pages numbered from the oldest, so a new article
rewrites the front page (and once a page fills, one archive page), and every article is on exactly one
page, in order, with working older/newer links. The publisher's domain code on an in-memory index."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from vnu import vnu_errors

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


class Site:
    """The publisher and the pages it wrote (key -> bytes)."""

    def __init__(self, articles: Articles, size: int = SIZE) -> None:
        self.articles = articles
        self.publisher = SitePublisher(
            articles,
            lambda slug: [],
            InMemorySiteIndex(),
            Renderer(SiteSettings("https://x.test")),
            page_size=size,
        )
        self.pages = {k: v.body for k, v in self.publisher.publish_all(articles.values()).puts.items()}

    def publish(self, *slugs: str):
        changes = self.publisher.publish(list(slugs))
        for key in changes.deletes:
            self.pages.pop(key, None)
        self.pages |= {k: v.body for k, v in changes.puts.items()}
        return changes

    def archive(self, prefix: str = "") -> dict[str, list[str]]:
        """Archive page key -> the slugs it shows."""
        return {
            k: re.findall(r'<h2><a href="/(a\d+)/">', v.decode())
            for k, v in self.pages.items()
            if k.startswith(f"{prefix}page/")
        }


def listing_pages(changes, prefix: str = "") -> set[str]:
    return {
        k
        for k in [*changes.puts, *changes.deletes]
        if k.startswith(f"{prefix}page/") or k == f"{prefix}index.html"
    }


def test_a_withdrawn_or_back_dated_article_changes_its_own_page_only_and_every_other_page_keeps_its_articles():
    site = Site(Articles({f"a{i}": make(i) for i in range(10)}))
    before = site.archive()
    assert set(layout(10, SIZE)) == {None, 1, 2} and before == {
        "page/1/index.html": ["a2", "a1", "a0"],
        "page/2/index.html": ["a5", "a4", "a3"],
    }
    del site.articles["a1"]
    changes = site.publish("a1")
    assert listing_pages(changes) == {"page/1/index.html"}  # not the pages after it, not the front page
    assert site.archive() == {**before, "page/1/index.html": ["a2", "a0"]}
    assert [s for page in site_pages(site.pages) for s in page] == [
        f"a{j}" for j in range(9, -1, -1) if j != 1
    ]

    site.articles["a100"] = replace(make(100), published=START + timedelta(hours=3, minutes=30))
    changes = site.publish("a100")  # dated between a3 and a4: it joins page 2, and nothing else moves
    assert listing_pages(changes) == {"page/2/index.html"}
    assert site.archive()["page/2/index.html"] == ["a5", "a4", "a100", "a3"]
    assert site.archive()["page/1/index.html"] == ["a2", "a0"]

    for slug in ("a0", "a2"):  # a page whose every article was withdrawn stays, and says so
        del site.articles[slug]
        site.publish(slug)
    assert "were withdrawn" in site.pages["page/1/index.html"].decode()
    assert [s for page in site_pages(site.pages) for s in page] == [
        "a9",
        "a8",
        "a7",
        "a6",
        "a5",
        "a4",
        "a100",
        "a3",
    ]


def test_a_tag_on_a_third_of_all_articles_rewrites_a_bounded_number_of_pages_whatever_its_size():
    """600 articles, 200 in one tag: 66 archive pages of 3. A new article, a withdrawal of the oldest and
    a back-dated article each write at most three of the tag's pages."""
    articles = Articles({f"a{i}": make(i, "Common" if i % 3 == 0 else f"Tag{i % 7}") for i in range(600)})
    site = Site(articles)
    before = site.archive("tags/common/")
    assert len(before) == 65
    written = []
    articles["a600"] = make(600, "Common")
    written.append(listing_pages(site.publish("a600"), "tags/common/"))
    del articles["a0"]
    withdrawn = site.publish("a0")
    written.append(listing_pages(withdrawn, "tags/common/"))
    feeds = {"feed.xml", "tags/common/feed.xml", "tags/common/feed.json"}
    assert not feeds & set(withdrawn.puts)  # the oldest article was in none of them
    articles["a601"] = replace(make(601, "Common"), published=START + timedelta(hours=1.5))
    written.append(listing_pages(site.publish("a601"), "tags/common/"))
    assert all(len(w) <= 3 for w in written), written
    after = site.archive("tags/common/")
    changed = {k for k in before if after[k] != before[k]}
    assert changed == {"tags/common/page/1/index.html"}  # a0 left it, a601 joined it


def test_pages_keep_their_articles_as_new_ones_arrive_and_a_full_publish_cuts_them_the_same_way():
    articles = Articles()
    site = Site(articles)
    seen: dict[str, list[str]] = {}
    for i in range(40):
        articles[f"a{i}"] = make(i)
        site.publish(f"a{i}")
        archive = site.archive()
        assert {k: archive[k] for k in seen} == seen  # every page keeps naming the same articles
        seen = archive
    fresh = Site(Articles(articles))
    assert fresh.pages == {k: v for k, v in site.pages.items() if k in fresh.pages} and set(
        fresh.pages
    ) <= set(site.pages)


def test_a_replayed_event_that_sealed_a_page_writes_the_same_pages_again():
    articles = Articles({f"a{i}": make(i) for i in range(9)})
    site = Site(articles)  # page 1 and a front page of 6
    articles["a9"] = make(9)
    first = site.publisher.publish(["a9"])  # 7 on the front: its oldest 3 are sealed as page 2
    assert {"page/2/index.html", "page/1/index.html", "index.html"} <= set(first.puts)  # page 1: its link
    again = site.publisher.publish(["a9"])
    assert {k: v.body for k, v in again.puts.items()} == {k: v.body for k, v in first.puts.items()}


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


def test_the_site_table_keeps_the_same_pages_as_the_in_memory_index(stack):
    """The publisher's pages on the template's site table (moto) equal those of the in-memory index, step by
    step: a full publish, new articles sealing pages, a withdrawal, a back-dated article, a tag emptied."""
    from newsdrop.site.store import DynamoDBSiteIndex

    table = DynamoDBSiteIndex(stack.output("SiteTableName"), stack.session.resource("dynamodb"))
    steps: list = [
        ("add", "a8"),
        ("add", "a9"),
        ("add", "a10"),
        ("withdraw", "a1"),
        ("add", "a11"),
        ("withdraw", "a11"),
        ("withdraw", "a2"),
    ]
    outputs = []
    for index in (InMemorySiteIndex(), table):
        articles = Articles({f"a{i}": make(i) for i in range(8)})
        articles["a2"] = make(2, "Rare")
        publisher = SitePublisher(
            articles, lambda slug: [], index, Renderer(SiteSettings("https://x.test")), page_size=SIZE
        )
        written = [{k: v.body for k, v in publisher.publish_all(list(articles.values())).puts.items()}]
        for action, slug in steps:
            if action == "add":
                articles[slug] = (
                    replace(make(11, "Rare"), published=START + timedelta(hours=2.5))
                    if slug == "a11"
                    else make(int(slug[1:]))
                )
            else:
                del articles[slug]
            changes = publisher.publish([slug])
            written.append(({k: v.body for k, v in changes.puts.items()}, changes.deletes))
        outputs.append(written)
    assert outputs[0] == outputs[1]
    emptied = outputs[1][-1][1]  # the tag's last article withdrawn: its pages, feeds and API go
    assert {"tags/rare/index.html", "tags/rare/feed.xml", "api/tags/rare.json"} <= emptied
    assert "page/1/index.html" in outputs[1][5][0]  # the back-dated article joined the oldest page


def test_archive_pages_and_a_page_left_empty_pass_the_nu_html_checker(tmp_path):
    site = Site(Articles({f"a{i}": make(i) for i in range(12)}))
    for slug in ("a0", "a1", "a2"):
        del site.articles[slug]
        site.publish(slug)
    assert "were withdrawn" in site.pages["page/1/index.html"].decode()
    for key, body in site.pages.items():
        if key.endswith(".html") and (key == "index.html" or key.startswith(("page/", "tags/"))):
            (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / key).write_bytes(body)
    assert len(list(tmp_path.rglob("*.html"))) >= 6
    assert vnu_errors(tmp_path) == []
