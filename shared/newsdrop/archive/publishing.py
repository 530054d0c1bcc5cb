"""The site rendered by shards: what ``newsdrop.site.wiring.publish_everything`` does in one process, split
into a plan (the site table's state, computed from the articles), the table written by slices, then
article pages, listings (home, tags, authors: pages and feeds) and the site-wide files (sitemaps, static
files, the pages of withdrawn articles deleted) rendered by map items, each from the stored state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from newsdrop.models import Article, is_public
from newsdrop.site import search
from newsdrop.site.entries import InMemorySiteIndex, SiteRecord, entry_for, listings_for, with_site_labels
from newsdrop.site.layout import ALL, article_api_key, article_key, url_path
from newsdrop.site.publish import SiteChanges
from newsdrop.site.render import HTML, JSON
from newsdrop.site.store import site_items
from newsdrop.site.wiring import PublisherRuntime, static_files


@dataclass
class PublishPlan:
    public: list[str]  # slugs of the public articles, in publication order
    listings: list[str]
    gone: list[str]  # stored articles that are not public: their pages are deleted
    search_shards: list[str]  # the search index's shards (newsdrop.site.search)
    items: dict[tuple[str, str], dict[str, Any]]  # the site table's items


class ShardPublisher:
    def __init__(self, runtime: PublisherRuntime, site_index: Any):
        self.runtime = runtime
        self.site_index = site_index  # DynamoDBSiteIndex: the corrections' dates are kept from it
        self.publisher = runtime.publisher

    def plan(self, articles: Iterable[Article]) -> PublishPlan:
        built = InMemorySiteIndex()
        updated = self.site_index.corrections()
        public, gone = [], []
        for article in articles:
            if not is_public(article):
                gone.append(article.slug)
                continue
            article = with_site_labels(article, built)
            entry = entry_for(article, updated.get(article.slug))
            record = SiteRecord(entry=entry, listings=listings_for(article), revision=article.revision)
            built.put_record(record)
            for listing in record.listings:
                built.add_entry(listing, entry)
            for shard, words in search.shards(entry).items():
                built.search_put(shard, entry.slug, search.posting(entry, words))
            public.append((entry.sort_key, article.slug))
        return PublishPlan(
            public=[slug for _, slug in sorted(public)],
            listings=sorted(set(built.listings) | {ALL}),
            gone=sorted(gone),
            search_shards=sorted(built.search),
            items=site_items(built),
        )

    def pages(self, slugs: Iterable[str]) -> int:
        out = SiteChanges()
        for slug in slugs:
            article = self.publisher.articles.get_article(slug)
            record = self.publisher.index.get_record(slug)
            if article is not None and record is not None and record.public and is_public(article):
                self.publisher._write_article(with_site_labels(article, self.publisher.index), record, out)
                document = search.document(record.entry, url_path(article_key(slug)))
                out.put(search.doc_key(slug), self.publisher.renderer.search_json(document), JSON)
        return self.runtime.bucket.apply(out)

    def listings(self, names: Iterable[str]) -> int:
        out = SiteChanges()
        for listing in names:
            self.publisher.write_listing(listing, out)
        return self.runtime.bucket.apply(out)

    def site(self, gone: Iterable[str], search_shards: Iterable[str]) -> int:
        out = SiteChanges()
        self.publisher._write_sitemaps(set(self.publisher.index.months()), out)
        self.publisher._write_search(set(search_shards), out)
        self.publisher._write_tags_index(out)
        for key, page in self.publisher.renderer.standing_pages().items():
            out.put(key, page, HTML)
        for key, body, kind in static_files():
            out.put(key, body, kind)
        for slug in gone:
            out.delete(article_key(slug))
            out.delete(article_api_key(slug))
        return self.runtime.bucket.apply(out)

    def invalidate_all(self) -> str | None:
        return self.runtime.invalidator.invalidate(["/*"])
