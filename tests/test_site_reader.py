"""The reader's site as a newsroom would configure and fill it, on template.yaml in moto through the real
handlers (tests/local_site.py): co-authors, a site.yaml, a standfirst, reserved titles, hostile text in
feeds, Markdown extensions, search shards. Every page passes the Nu HTML Checker (vnu) with 0 errors, and
every feed and sitemap parses with a strict XML parser and feedparser."""

from __future__ import annotations

import json
import re
from xml.dom import minidom

import feedparser
import pytest
from local_site import local_site
from vnu import vnu_errors

from newsdrop.site.export import export_site

SITE_YAML = b"""name: The Harbour Herald
language: en-GB
byline_prefix: Words by
subscribe_pitch: Join {subscribers} readers of the Herald
date_format: "%d %b %Y"
"""

CO_AUTHORS = b"""---
title: Ferry timetable changes for the winter
authors: [Hannah Okafor, Wei Zhang]
date: 2026-11-25T08:00:00Z
summary: Fewer crossings at night, more at the morning peak.
tags: [Transport, elections]
---

The ferry company published its winter timetable, with fewer late crossings and two more at 7 a.m.

Footnotes work[^1], and so do task lists:

- [x] morning crossings added
- [ ] night service reviewed

<p dir="rtl" lang="ar">\xd8\xac\xd8\xaf\xd9\x88\xd9\x84 \xd8\xa7\xd9\x84\xd8\xb9\xd8\xa8\xd8\xa7\xd8\xb1\xd8\xa7\xd8\xaa</p>

<details><summary>Full timetable</summary>Every hour from 6 a.m.</details>

# A heading written as a title

See [the timetable](#a-heading-written-as-a-title) and [a link that was refused](javascript:alert(1)).

<h2 id="main">Main</h2>

[^1]: The note, at the end.
"""

THREE_AUTHORS = b"""---
title: Three reporters on the quay
authors: [Hannah Okafor, Wei Zhang, Ana Ruiz]
date: 2026-11-26T08:00:00Z
tags: [Elections]
---

Three reporters wrote this one together, about the quay and its market.
"""

# Text that *shows* markup, and characters no XML may hold, in the title and the first sentence.
HOSTILE = (
    '---\ntitle: "Markup as text \\uFFFF and a control \\u0001 char"\n'
    "tags: [Security]\n---\n\n"  # no date: published now, so in the news sitemap too
    "Writers show &lt;img src=x onerror=alert(1)&gt; and `<img src=y onerror=alert(2)>` as text \uffff here.\n"
).encode()

RESERVED = b"""---
title: Bookmarks
date: 2026-11-28T08:00:00Z
---

An article about bookmarks, which must not replace the site's bookmarks page.
"""

EXPLICIT = b"""---
title: How we search the archive
slug: search
date: 2026-11-28T09:00:00Z
---

The file asked for the slug of the site's search page.
"""

LONG = ("---\ntitle: " + "Unbroken" * 36 + "\ndate: 2026-11-29T08:00:00Z\n---\n\nA long title.\n").encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from newsdrop.local.dev import publish_site

    with local_site() as running:
        stack = running.stack
        stack.client("s3").put_object(Bucket=stack.output("DropBucketName"), Key="site.yaml", Body=SITE_YAML)
        for name, body in {
            "ferry.md": CO_AUTHORS,
            "three.md": THREE_AUTHORS,
            "hostile.md": HOSTILE,
            "bookmarks.md": RESERVED,
            "explicit.md": EXPLICIT,
            "long.md": LONG,
        }.items():
            running.drop(name, body)
        with running.server.lock:
            publish_site(stack)  # site.yaml applies from here: `newsdrop publish --all`
        out = tmp_path_factory.mktemp("site")
        export_site(stack.client("s3"), stack.output("SiteBucketName"), out)
        running.folder = out
        yield running


def read(site, path: str) -> str:
    return (site.folder / path).read_text(encoding="utf-8")


def article(site, slug: str) -> str:
    return read(site, f"{slug}/index.html")


def json_ld(page: str) -> dict:
    [ld] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return json.loads(ld)


def store(site):
    from newsdrop.ingest.store import ArticleStore

    return ArticleStore(site.stack.resource("ArticlesTable"), site.stack.session.resource("dynamodb"))


def drop_outcome(site, name: str) -> dict:
    [outcome] = store(site).drops_for(f"{site.stack.parameters['IncomingPrefix']}{name}")
    return outcome


def test_co_authors_each_get_a_page_and_a_feed_and_a_byline_naming_both(site):
    page = article(site, "ferry-timetable-changes-for-the-winter")
    assert re.search(
        r'Words by <a href="/authors/hannah-okafor/" rel="author">Hannah Okafor</a> and '
        r'<a href="/authors/wei-zhang/" rel="author">Wei Zhang</a>',
        page,
    )
    three = article(site, "three-reporters-on-the-quay")
    assert ">Hannah Okafor</a>, <a" in three and ">Wei Zhang</a> and <a" in three
    assert [a["name"] for a in json_ld(page)["author"]] == ["Hannah Okafor", "Wei Zhang"]
    for key, name in (("hannah-okafor", "Hannah Okafor"), ("wei-zhang", "Wei Zhang")):
        listing = read(site, f"authors/{key}/index.html")
        assert f"<h1>Articles by {name}</h1>" in listing
        assert "Ferry timetable changes for the winter" in listing
        feed = json.loads(read(site, f"authors/{key}/feed.json"))
        items = {i["title"]: i for i in feed["items"]}
        assert [a["name"] for a in items["Ferry timetable changes for the winter"]["authors"]] == [
            "Hannah Okafor",
            "Wei Zhang",
        ]
    assert not (site.folder / "authors/hannah-okafor-wei-zhang").exists()
    rss = feedparser.parse(read(site, "feed.xml"))
    entry = next(e for e in rss.entries if e.title == "Ferry timetable changes for the winter")
    assert [a["name"] for a in entry.authors] == ["Hannah Okafor", "Wei Zhang"]  # one dc:creator each


def test_the_site_says_what_site_yaml_says_and_claims_no_audience_it_has_not_got(site):
    page = article(site, "ferry-timetable-changes-for-the-winter")
    assert '<html lang="en-GB">' in page and "· The Harbour Herald</title>" in page
    assert "25 Nov 2026" in page
    # the pitch wants a subscriber count that was not configured: the plain pitch instead, no number
    assert "Get an email when a new article is published" in page
    assert "10k" not in page and "{subscribers}" not in page and "Post by" not in page
    assert "<language>en-GB</language>" in read(site, "feed.xml")
    assert json.loads(read(site, "feed.json"))["language"] == "en-GB"


def test_the_standfirst_share_links_and_markdown_extensions(site):
    page = article(site, "ferry-timetable-changes-for-the-winter")
    assert '<p class="standfirst">Fewer crossings at night, more at the morning peak.</p>' in page
    assert 'href="mailto:?subject=Ferry%20timetable' in page and 'data-copy-link="' in page
    assert page.count("<h1") == 1  # the body's "#" heading is an h2
    assert '<h2 id="body-a-heading-written-as-a-title">' in page
    assert 'href="#body-a-heading-written-as-a-title"' in page
    assert 'id="main"' in page and page.count('id="main"') == 1  # the body's "main" is namespaced
    assert 'id="body-main"' in page
    assert 'href="#body-fn1"' in page and 'id="body-fn1"' in page  # footnotes link both ways
    assert '<span class="task">\u2611</span> morning crossings added' in page
    assert '<p dir="rtl" lang="ar">' in page
    assert "<details><summary>Full timetable</summary>Every hour from 6 a.m.</details>" in page
    assert "a link that was refused" in page and "<a rel" not in page


def test_time_values_carry_at_most_three_fraction_digits(site):
    for path in sorted(site.folder.rglob("*.html")):
        for value in re.findall(r'<time datetime="([^"]+)"', path.read_text(encoding="utf-8")):
            assert not re.search(r"\.\d{4,}", value), (path, value)


def test_a_title_that_names_a_site_path_gets_a_suffix_and_the_drop_says_so(site):
    outcome = drop_outcome(site, "bookmarks.md")
    assert outcome["status"] == "stored" and outcome["slug"] == "bookmarks-2"
    assert "'bookmarks' is one of the site's own paths" in outcome["detail"]
    assert "<h1>Your bookmarks</h1>" in read(site, "bookmarks/index.html")
    assert "<h1>Bookmarks</h1>" in article(site, "bookmarks-2")
    # a slug the file names itself is treated the same way, and a new upload of the file keeps its place
    outcome = drop_outcome(site, "explicit.md")
    assert outcome["slug"] == "search-2" and "'search' is one of the site's own paths" in outcome["detail"]
    assert "<h1>Search</h1>" in read(site, "search/index.html")
    site.drop("explicit.md", EXPLICIT.replace(b"The file", b"This file"))
    assert store(site).get_article("search-2").body.startswith("This file")
    assert store(site).get_article("search-3") is None


def test_text_that_shows_markup_stays_text_and_no_feed_or_sitemap_is_ill_formed(site):
    slug = "markup-as-text-and-a-control-char"
    item = store(site).get_article(slug)  # as stored: the invisible characters are gone
    assert item.title.split() == ["Markup", "as", "text", "and", "a", "control", "char"]
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", item.title + item.body + item.body_html)
    feeds = sorted(site.folder.rglob("feed.xml"))
    sitemaps = sorted({*site.folder.rglob("*sitemap*.xml"), *(site.folder / "sitemaps").glob("*.xml")})
    assert len(feeds) > 5 and len(sitemaps) >= 3
    for path in feeds + sitemaps:
        minidom.parseString(path.read_bytes())  # strict XML 1.0: raises on any ill-formed byte
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    rss = feedparser.parse(read(site, "feed.xml"))
    entry = next(e for e in rss.entries if e.link.endswith(f"/{slug}/"))
    # feedparser returns the description as HTML: the markup the writer showed is escaped text in it
    assert "<img" not in entry.summary and "&lt;img src=x onerror=alert(1)&gt;" in entry.summary
    assert "&lt;img src=y onerror=alert(2)&gt;" in entry.summary


def test_one_label_per_tag_everywhere(site):
    # "elections" was published first (ferry.md), so "Elections" (three.md) shows it the same way
    three = article(site, "three-reporters-on-the-quay")
    assert 'rel="tag">#elections</a>' in three and "#Elections" not in three
    assert "<h1>#elections</h1>" in read(site, "tags/elections/index.html")
    assert 'href="/tags/elections/" rel="tag">#elections</a>' in read(site, "tags/index.html")


def test_search_shards_hold_every_word_of_the_entry_and_nothing_else(site):
    shard = json.loads(read(site, "search/fe.json"))
    [doc] = [d for d in shard["docs"] if d["s"] == "ferry-timetable-changes-for-the-winter"]
    assert "ferry" in doc["w"] and doc["d"] == "2026-11-25"
    okafor = json.loads(read(site, "search/ok.json"))
    assert {d["s"] for d in okafor["docs"]} == {
        "ferry-timetable-changes-for-the-winter",
        "three-reporters-on-the-quay",
    }
    assert all(w.startswith("ok") for d in okafor["docs"] for w in d["w"])
    day = json.loads(read(site, "search/docs/2026-11-25.json"))["docs"]  # its day's result documents
    result = day["ferry-timetable-changes-for-the-winter"]
    assert result["t"] == "Ferry timetable changes for the winter"
    assert result["u"] == "/ferry-timetable-changes-for-the-winter/"
    assert "<noscript>" not in read(site, "search/index.html")  # the fallback is a link JS hides
    assert 'href="/tags/"' in read(site, "search/index.html")


def test_an_unpublished_article_leaves_the_search_index(site):
    s3 = site.stack.client("s3")
    bucket = site.stack.output("SiteBucketName")
    slug = "unbroken" * 10

    def keys() -> set[str]:
        return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="search/").get("Contents", [])}

    [posting] = [d for d in json.loads(_get(s3, bucket, "search/un.json"))["docs"] if d["s"] == slug]
    day = f"search/docs/{posting['d']}.json"  # the result documents of the article's day
    assert slug in json.loads(_get(s3, bucket, day))["docs"]
    site.unpublish("long.md")
    assert day not in keys() or slug not in json.loads(_get(s3, bucket, day))["docs"]
    assert "search/un.json" not in keys() or slug.encode() not in _get(s3, bucket, "search/un.json")


def _get(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_every_page_passes_the_nu_html_checker(site):
    assert len(list(site.folder.rglob("*.html"))) > 20
    errors = vnu_errors(site.folder)
    assert errors == [], "\n".join(errors[:30])
