"""Where everything lives on the site, and how lists are cut into pages.

Object keys in the site bucket are the paths readers ask for: ``/<slug>/`` is ``<slug>/index.html``.
Lists (the home page, a tag, an author) are *listings*, ordered oldest first. Pages are numbered from the
OLDEST (``/page/1/`` holds the first ``PAGE_SIZE`` articles ever published), and the front page (``/``,
``/tags/<tag>/``) shows the newest ones, so a new article changes the front page and, once every
``PAGE_SIZE`` articles, seals one full page into the archive. A sealed page is a range of sort keys (it
starts where its first article did, ``newsdrop.site.entries.PageStart``), so it keeps its articles for
good: a withdrawn article leaves its page one shorter, a back-dated one makes its page one longer, and
no other page moves. Only a full publish cuts the pages afresh (``cut``).
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote

PAGE_SIZE = 20
FEED_SIZE = 20  # items in each feed and in the latest/tag API documents

ALL = "all"


def tag_listing(tag_key: str) -> str:
    return f"tag/{tag_key}"


def author_listing(author_key: str) -> str:
    return f"author/{author_key}"


def listing_prefix(listing: str) -> str:
    """The folder of a listing's pages: "" for the home page, "tags/<key>/", "authors/<key>/"."""
    if listing == ALL:
        return ""
    kind, _, key = listing.partition("/")
    return {"tag": "tags", "author": "authors"}[kind] + f"/{key}/"


def article_key(slug: str) -> str:
    return f"{slug}/index.html"


def article_api_key(slug: str) -> str:
    return f"api/articles/{slug}.json"


def page_key(listing: str, number: int | None) -> str:
    prefix = listing_prefix(listing)
    return f"{prefix}index.html" if number is None else f"{prefix}page/{number}/index.html"


def feed_keys(listing: str) -> tuple[str, str]:
    prefix = listing_prefix(listing)
    return f"{prefix}feed.xml", f"{prefix}feed.json"


def listing_api_key(listing: str, number: int | None = None) -> str | None:
    """The JSON twin of a listing's page (``number`` None: the front page); authors have none."""
    if listing == ALL:
        return "api/latest.json" if number is None else f"api/page/{number}.json"
    kind, _, key = listing.partition("/")
    if kind != "tag":
        return None
    return f"api/tags/{key}.json" if number is None else f"api/tags/{key}/page/{number}.json"


def month_sitemap_key(month: str, part: int = 1) -> str:
    """A month's sitemap; a month holding more URLs than one sitemap may is cut into parts, oldest first
    (``2025-03.xml``, ``2025-03-2.xml``, ...), so a new article only ever changes the month's last part."""
    return f"sitemaps/{month}.xml" if part == 1 else f"sitemaps/{month}-{part}.xml"


# sitemaps.org: a sitemap (and a sitemap index) holds at most 50,000 URLs and 50 MB (52,428,800 bytes)
# uncompressed.
SITEMAP_MAX_URLS = 50_000
SITEMAP_MAX_BYTES = 52_428_800


def sitemap_parts(count: int, per_part: int) -> int:
    """How many sitemaps a month of ``count`` articles takes at ``per_part`` URLs each."""
    return -(-count // per_part)


SITEMAP_INDEX_KEY = "sitemap.xml"
NEWS_SITEMAP_KEY = "news-sitemap.xml"
BOOKMARKS_KEY = "bookmarks/index.html"
SEARCH_KEY = "search/index.html"
TAGS_INDEX_KEY = "tags/index.html"
NOT_FOUND_KEY = "404.html"


# Every top-level path the site writes, and every one CloudFront sends elsewhere (the subscription API,
# whose links in emails already sent must keep working): an article's slug is never one of these, or its
# page would replace (or be replaced by) the site's own, or be routed away from the bucket.
RESERVED_SLUGS = frozenset(
    {
        "api", "authors", "bookmarks", "media", "page", "search", "sitemaps", "static", "tags",
        "404-html", "feed-json", "feed-xml", "index-html", "news-sitemap-xml", "robots-txt", "sitemap-xml",
        "favicon-ico", "404", "feed", "index", "sitemap", "news-sitemap", "robots", "favicon",
        "confirm", "preferences", "subscribers", "unsubscribe", "subscribe",
    }
)  # fmt: skip


def url_path(key: str) -> str:
    """The path a reader uses for an object key: "a/index.html" -> "/a/", percent-encoded."""
    path = "/" + key.removesuffix("index.html")
    return quote(path, safe="/-._~")


def invalidation_path(key: str) -> str:
    """CloudFront caches under the object's path (the viewer-request function adds index.html first)."""
    return quote("/" + key, safe="/-._~")


class PageSpec(NamedTuple):
    """One page of a listing: positions [first, stop) oldest-first, and its neighbours' page numbers
    (None: the front page for ``newer``, nothing for ``older``)."""

    number: int | None  # None: the front page
    first: int
    stop: int
    older: int | None
    newer: int | None


def layout(total: int, size: int = PAGE_SIZE) -> dict[int | None, PageSpec]:
    """Pages of a listing of ``total`` entries. Chunk c holds positions [c*size, (c+1)*size); the front
    page shows the last two chunks (so it never shows a single article while older pages exist),
    chunk c < last-1 is page c+1."""
    last = (total - 1) // size if total else 0
    front_first = (last - 1) * size if last >= 1 else 0
    pages: dict[int | None, PageSpec] = {
        None: PageSpec(None, front_first, total, last - 1 if last >= 2 else None, None)
    }
    for chunk in range(max(last - 1, 0)):
        number = chunk + 1
        newer = number + 1 if number + 1 <= last - 1 else None
        pages[number] = PageSpec(
            number, chunk * size, (chunk + 1) * size, number - 1 if number > 1 else None, newer
        )
    return pages


def cut(sort_keys: list[str], size: int = PAGE_SIZE) -> dict[str, int]:
    """A listing cut afresh (``sort_keys`` oldest first): where each page starts -> its number (0: the
    front page). Page 1 starts at "" (before everything), page n at its first article; the front page shows
    the last two chunks of ``size`` (``layout``)."""
    return {
        ("" if spec.first == 0 else sort_keys[spec.first]): spec.number or 0
        for spec in layout(len(sort_keys), size).values()
    }
