"""Pages, feeds, sitemaps and API documents as bytes. Jinja2 with autoescape on: every value from an
article (title, tags, author, excerpt) is escaped; only ``article_body_html`` is trusted markup."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from newsdrop.ingest.text import make_excerpt
from newsdrop.models import Article, RelatedEntry
from newsdrop.site.entries import Entry, author_key, display_tags
from newsdrop.site.images import lead_image, picture, rewrite_body
from newsdrop.site.layout import (
    ALL,
    PageSpec,
    article_key,
    listing_prefix,
    month_sitemap_key,
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


@dataclass(frozen=True)
class SiteSettings:
    base_url: str  # https://d123.cloudfront.net or the custom domain, no trailing slash
    name: str = "Newsdrop"
    subscribe_action: str = "/subscribers"  # CloudFront routes the subscription API on the same origin

    def absolute(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


def _date(value: str | datetime | None) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment:%-d %B %Y}"


def _rfc822(value: str) -> str:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.strftime("%a, %d %b %Y %H:%M:%S %z")


def _iso(value: str | datetime) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


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
        env.filters["date"] = _date
        env.filters["rfc822"] = _rfc822
        env.filters["iso"] = _iso
        env.filters["tojson_ld"] = _json_ld
        env.globals.update(
            site=self.settings,
            article_url=lambda slug: url_path(article_key(slug)),
            tag_url=lambda key: url_path(f"tags/{key}/"),
            author_url=lambda name: url_path(f"authors/{author_key(name)}/") if author_key(name) else None,
            static=lambda name: f"/static/{name}",
        )
        return env

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
        if article.author:
            ld["author"] = {"@type": "Person", "name": article.author}
        lead = lead_image(article)
        lead_url = self._image_url(lead)
        if lead is not None:
            ld["image"] = [{"@type": "ImageObject", **lead_url}]
        return self._html(
            "article.html",
            article=article,
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
        )

    def bookmarks_page(self) -> bytes:
        return self._html(
            "bookmarks.html", empty=BOOKMARKS_EMPTY, canonical=self.settings.absolute("/bookmarks/")
        )

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
            "language": "en",
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
        if entry.author:
            item["authors"] = [{"name": entry.author}]
        if entry.image:
            item["image"] = self.settings.absolute(entry.image["url"])
        return item

    def month_sitemap(self, entries: list[Entry]) -> bytes:
        urls = [
            (self.settings.absolute(url_path(article_key(e.slug))), _iso(e.updated or e.published))
            for e in entries
        ]
        return self._html("sitemap.xml", urls=urls)

    def sitemap_index(self, months: list[str]) -> bytes:
        home = [(self.settings.absolute("/"), None)]
        return self._html(
            "sitemap_index.xml",
            sitemaps=[self.settings.absolute("/" + month_sitemap_key(m)) for m in months],
            home=home,
        )

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

    def api_listing(self, listing: str, title: str, entries: list[Entry]) -> bytes:
        return _json_bytes(
            {
                "title": title,
                "url": self.settings.absolute(url_path(page_key(listing, None))),
                "articles": [self._api_entry(e) for e in entries],
            }
        )

    def _api_entry(self, entry: Entry) -> dict[str, Any]:
        return {
            "slug": entry.slug,
            "url": self.settings.absolute(url_path(article_key(entry.slug))),
            "title": entry.title,
            "author": entry.author,
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
