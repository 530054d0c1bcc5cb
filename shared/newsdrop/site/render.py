"""Pages, feeds, sitemaps and API documents as bytes. Jinja2 with autoescape on: every value from an
article (title, tags, author, excerpt) is escaped; only ``article_body_html`` is trusted markup."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from newsdrop.ingest.text import SLUG_MAX, make_excerpt, xml_safe
from newsdrop.models import Article, RelatedEntry
from newsdrop.site import search
from newsdrop.site.entries import Entry, author_key, author_names, byline, display_tags
from newsdrop.site.images import lead_image, picture, rewrite_body
from newsdrop.site.layout import (
    ALL,
    BOOKMARKS_KEY,
    NOT_FOUND_KEY,
    SEARCH_KEY,
    PageSpec,
    article_key,
    listing_api_key,
    listing_prefix,
    page_key,
    url_path,
)

TEMPLATES = Path(__file__).parent / "templates"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
JSON_FEED = "application/feed+json"
RSS = "application/rss+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
RELATED_EXCERPT_CHARS = 140
BOOKMARKS_EMPTY = "You have not yet added any article to your bookmarks!"


def article_body_html(article: Article) -> Markup:
    """THE one place the page takes an article's body from: ``body_html``, rendered (CommonMark) and
    sanitized at ingest. An item stored before bodies were rendered has none: its source is shown as
    escaped text, one paragraph per blank line (the publisher does not carry the ingest renderer)."""
    if article.body_html:
        return Markup(article.body_html)  # noqa: S704 (sanitized at ingest by nh3; never from a template value)
    paragraphs = [p.strip() for p in article.body.split("\n\n") if p.strip()]
    return Markup("\n").join(Markup("<p>{}</p>").format(p) for p in paragraphs)


DEFAULT_PITCH = "Get an email when a new article is published"


class SiteSettings(NamedTuple):
    """What a newsroom says about itself (newsdrop.site.config reads it: template parameters, then the
    drop bucket's site.yaml)."""

    base_url: str  # https://d123.cloudfront.net or the custom domain, no trailing slash
    name: str = "Newsdrop"
    subscribe_action: str = "/subscribers"  # CloudFront routes the subscription API on the same origin
    language: str = "en"  # <html lang>, the feeds' language
    byline_prefix: str = "By"
    # "{subscribers}" in the pitch is the configured number of readers, rounded down; without one, a
    # pitch that would need it is replaced by the default (no page claims an audience it has not got).
    subscribe_pitch: str = DEFAULT_PITCH
    subscribers: int | None = None
    date_format: str = "%-d %B %Y"  # strftime

    def absolute(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    @property
    def pitch(self) -> str:
        if "{subscribers}" not in self.subscribe_pitch:
            return self.subscribe_pitch
        if not self.subscribers:
            return DEFAULT_PITCH
        return self.subscribe_pitch.replace("{subscribers}", f"{_round_down(self.subscribers):,}")


def _round_down(count: int) -> int:
    """Two significant figures, never more than the count: 4 -> 4, 1,234 -> 1,200."""
    scale = 10 ** max(len(str(count)) - 2, 0)
    return count // scale * scale


def _moment(value: str | datetime) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _rfc822(value: str) -> str:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.strftime("%a, %d %b %Y %H:%M:%S %z")


def _iso(value: str | datetime) -> str:
    """ISO 8601 with at most milliseconds: HTML's <time> allows 1-3 digits of a second's fraction."""
    moment = _moment(value)
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def _xml_text(value: Any) -> Any:
    """Every value a template prints, without characters XML cannot hold (ingest removes them; items
    stored before it did may still carry one, and one would make a whole feed ill-formed)."""
    if isinstance(value, Markup):
        return Markup(xml_safe(value))  # noqa: S704 (already markup; only characters removed)
    return xml_safe(value) if isinstance(value, str) else value


def _html_in_xml(text: str) -> Markup:
    """Text for an RSS element that readers take as HTML (<description>): escaped as HTML, then as XML,
    so "<img src=x>" written as text stays text in every feed reader."""
    return Markup(escape(str(escape(text))))  # noqa: S704 (escaped twice just here)


class Renderer:
    def __init__(self, settings: SiteSettings):
        self.settings = settings

    @cached_property
    def env(self) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.finalize = _xml_text
        env.filters["date"] = self._date
        env.filters["rfc822"] = _rfc822
        env.filters["iso"] = _iso
        env.filters["tojson_ld"] = _json_ld
        env.filters["html_in_xml"] = _html_in_xml
        env.globals.update(
            site=self.settings,
            byline=byline,
            share_links=self.share_links,
            article_url=lambda slug: url_path(article_key(slug)),
            tag_url=lambda key: url_path(f"tags/{key}/"),
            author_url=lambda name: url_path(f"authors/{author_key(name)}/") if author_key(name) else None,
            static=lambda name: f"/static/{name}",
        )
        return env

    def _date(self, value: str | datetime | None) -> str:
        return "" if value is None else _moment(value).strftime(self.settings.date_format)

    def share_links(self, title: str, url: str) -> list[tuple[str, str]]:
        """(name, href) of plain share links: no third-party script, nothing loaded until a reader clicks."""
        text = quote(title, safe="")
        link = quote(url, safe="")
        return [
            ("Email", f"mailto:?subject={text}&body={link}"),
            ("Bluesky", f"https://bsky.app/intent/compose?text={text}%20{link}"),
            ("Mastodon", f"https://mastodonshare.com/?text={text}&url={link}"),
            ("LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?url={link}"),
            ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={link}"),
        ]

    def _html(self, template: str, **context: Any) -> bytes:
        return self.env.get_template(template).render(**context).encode()

    # -- pages -------------------------------------------------------------------------------------
    def article_page(self, article: Article, related: list[RelatedEntry], updated: str | None) -> bytes:
        tags = display_tags(article)
        url = self.settings.absolute(url_path(article_key(article.slug)))
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "datePublished": _iso(article.published),
            "dateModified": _iso(updated or article.published),
            "mainEntityOfPage": url,
            "keywords": [t.label for t in tags],
            "description": article.excerpt,
        }
        names = author_names(article)
        if names:
            ld["author"] = [self._person(n) for n in names]
        lead = lead_image(article)
        lead_url = self._image_url(lead)
        if lead is not None:
            ld["image"] = [{"@type": "ImageObject", **lead_url}]
        return self._html(
            "article.html",
            article=article,
            authors=author_names(article),
            tags=tags,
            body=rewrite_body(article, article_body_html(article)),
            lead=lead,
            lead_picture=picture(lead.info, lead.alt, lead=True) if lead else None,
            lead_url=lead_url,
            related=[
                {"slug": r.slug, "title": r.title, "excerpt": make_excerpt(r.excerpt, RELATED_EXCERPT_CHARS)}
                for r in related
            ],
            updated=updated,
            canonical=url,
            json_ld=ld,
            bookmarks_empty=BOOKMARKS_EMPTY,
        )

    def _image_url(self, lead: Any) -> dict[str, Any] | None:
        """The lead image's feed-size JPEG as social cards and JSON-LD want it: absolute, with its size."""
        if lead is None:
            return None
        width = lead.info.feed_width
        return {
            "url": self.settings.absolute(f"/{lead.info.key(width, 'jpg')}"),
            "width": width,
            "height": lead.info.height_at(width),
        }

    def _person(self, name: str) -> dict[str, str]:
        person = {"@type": "Person", "name": name}
        key = author_key(name)
        if key:
            person["url"] = self.settings.absolute(url_path(f"authors/{key}/"))
        return person

    def listing_page(self, listing: str, title: str, spec: PageSpec, entries: list[Entry]) -> bytes:
        prefix = listing_prefix(listing)
        heading = title if spec.number is None else f"{title}: page {spec.number}"
        return self._html(
            "listing.html",
            heading=heading,
            entries=list(reversed(entries)),  # newest first on every page
            older=url_path(page_key(listing, spec.older)) if spec.older is not None else None,
            newer=(url_path(page_key(listing, spec.newer)) if spec.number is not None else None),
            canonical=self.settings.absolute(url_path(page_key(listing, spec.number))),
            feed=url_path(f"{prefix}feed.xml"),
            json_feed=url_path(f"{prefix}feed.json"),
            is_home=listing == ALL and spec.number is None,
            archived=spec.number is not None,
        )

    def bookmarks_page(self) -> bytes:
        return self._html(
            "bookmarks.html", empty=BOOKMARKS_EMPTY, canonical=self.settings.absolute("/bookmarks/")
        )

    def search_page(self) -> bytes:
        return self._html(
            "search.html",
            canonical=self.settings.absolute("/search/"),
            stopwords=" ".join(sorted(search.STOPWORDS)),
            prefix=search.PREFIX,
        )

    def tags_page(self, tags: list[tuple[str, str]]) -> bytes:
        return self._html("tags.html", tags=tags, canonical=self.settings.absolute("/tags/"))

    def search_json(self, value: dict[str, Any]) -> bytes:
        """A search shard or result document: compact, it is fetched while the reader types."""
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    def standing_pages(self) -> dict[str, bytes]:
        """The pages no article changes (only a full publish writes them): key -> HTML."""
        return {
            SEARCH_KEY: self.search_page(),
            BOOKMARKS_KEY: self.bookmarks_page(),
            NOT_FOUND_KEY: self.not_found_page(),
        }

    def not_found_page(self) -> bytes:
        return self._html("404.html", canonical=None)

    # -- feeds and sitemaps -------------------------------------------------------------------------
    def rss(self, title: str, listing: str, entries: list[Entry]) -> bytes:
        prefix = listing_prefix(listing)
        return self._html(
            "feed.xml",
            title=title,
            link=self.settings.absolute(url_path(page_key(listing, None))),
            self_url=self.settings.absolute(url_path(f"{prefix}feed.xml")),
            entries=entries,
            built=entries[0].updated or entries[0].published if entries else None,
        )

    def json_feed(self, title: str, listing: str, entries: list[Entry]) -> bytes:
        prefix = listing_prefix(listing)
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "home_page_url": self.settings.absolute(url_path(page_key(listing, None))),
            "feed_url": self.settings.absolute(url_path(f"{prefix}feed.json")),
            "language": self.settings.language,
            "items": [self._feed_item(e) for e in entries],
        }
        return _json_bytes(feed)

    def _feed_item(self, entry: Entry) -> dict[str, Any]:
        url = self.settings.absolute(url_path(article_key(entry.slug)))
        item: dict[str, Any] = {
            "id": url,
            "url": url,
            "title": entry.title,
            "content_text": entry.excerpt,
            "summary": entry.excerpt,
            "date_published": _iso(entry.published),
            "tags": [t.label for t in entry.tags],
        }
        if entry.updated:
            item["date_modified"] = _iso(entry.updated)
        if entry.names:
            item["authors"] = [
                {"name": n, "url": self.settings.absolute(url_path(f"authors/{author_key(n)}/"))}
                if author_key(n)
                else {"name": n}
                for n in entry.names
            ]
        if entry.image:
            item["image"] = self.settings.absolute(entry.image["url"])
        return item

    def month_sitemap(self, entries: list[Entry]) -> bytes:
        urls = [
            (self.settings.absolute(url_path(article_key(e.slug))), _iso(e.updated or e.published))
            for e in entries
        ]
        return self._html("sitemap.xml", urls=urls)

    def sitemap_capacity(self, max_bytes: int) -> int:
        """How many URLs a sitemap can always hold within ``max_bytes``: as many as fit when every one is
        the longest an article can have (the longest slug, a collision suffix, both dates at their
        longest)."""
        longest = Entry(
            slug="x" * (SLUG_MAX + 12),
            title="",
            excerpt="",
            published="2000-12-31T23:59:59.999999+00:00",
            updated="2000-12-31T23:59:59.999999+00:00",
        )
        empty = len(self.month_sitemap([]))
        per_url = len(self.month_sitemap([longest])) - empty
        return max((max_bytes - empty) // per_url, 1)

    def sitemap_index(self, sitemaps: list[str]) -> bytes:
        """The index of the sitemaps whose object keys are ``sitemaps``."""
        return self._html("sitemap_index.xml", sitemaps=[self.settings.absolute("/" + k) for k in sitemaps])

    def news_sitemap(self, entries: list[Entry]) -> bytes:
        return self._html("news_sitemap.xml", entries=entries)

    # -- the JSON API ------------------------------------------------------------------------------
    def api_article(self, article: Article, related: list[RelatedEntry], updated: str | None) -> bytes:
        return _json_bytes(
            {
                "slug": article.slug,
                "url": self.settings.absolute(url_path(article_key(article.slug))),
                "title": article.title,
                "author": article.author,
                "authors": author_names(article),
                "summary": article.summary,
                "published": _iso(article.published),
                "updated": _iso(updated) if updated else None,
                "reading_minutes": article.reading_minutes,
                "excerpt": article.excerpt,
                "tags": [{"key": t.key, "label": t.label} for t in display_tags(article)],
                "body_html": str(rewrite_body(article, article_body_html(article))),
                "image": self._api_image(article),
                "related": [
                    {
                        "slug": r.slug,
                        "title": r.title,
                        "excerpt": make_excerpt(r.excerpt, RELATED_EXCERPT_CHARS),
                        "url": self.settings.absolute(url_path(article_key(r.slug))),
                    }
                    for r in related
                ],
            }
        )

    def _api_image(self, article: Article) -> dict[str, Any] | None:
        lead = lead_image(article)
        if lead is None:
            return None
        return {**self._image_url(lead), "alt": lead.alt, "caption": lead.caption, "credit": lead.credit}

    def api_listing(self, listing: str, title: str, entries: list[Entry], spec: PageSpec) -> bytes:
        """The JSON twin of one page of a listing (``entries`` oldest first, as the page's): its articles
        newest first, and the API addresses of the newer and older pages (null at either end)."""

        def api_page(number: int | None) -> str | None:
            key = listing_api_key(listing, number)
            return url_path(key) if key else None

        return _json_bytes(
            {
                "title": title if spec.number is None else f"{title}: page {spec.number}",
                "url": self.settings.absolute(url_path(page_key(listing, spec.number))),
                "articles": [self._api_entry(e) for e in reversed(entries)],
                "newer": api_page(spec.newer) if spec.number is not None else None,
                "older": api_page(spec.older) if spec.older is not None else None,
            }
        )

    def _api_entry(self, entry: Entry) -> dict[str, Any]:
        return {
            "slug": entry.slug,
            "url": self.settings.absolute(url_path(article_key(entry.slug))),
            "title": entry.title,
            "author": entry.author,
            "authors": entry.names,
            "published": _iso(entry.published),
            "updated": _iso(entry.updated) if entry.updated else None,
            "excerpt": entry.excerpt,
            "tags": [{"key": t.key, "label": t.label} for t in entry.tags],
            "api": url_path(f"api/articles/{entry.slug}.json"),
        }


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode()


def _json_ld(value: Any) -> Markup:
    """JSON-LD inside <script>: "<", ">" and "&" escaped as JSON unicode escapes, so a title holding
    "</script>" cannot end the element."""
    text = json.dumps(value, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 (escaped just above)


__all__ = ["Renderer", "SiteSettings", "article_body_html", "escape"]
