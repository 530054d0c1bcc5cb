"""The site rendered by shards: what ``newsdrop.site.wiring.publish_everything`` does in one process, split
into a plan (the site table's state, computed from the articles), the table written by slices, then
article pages, listings (home, tags, authors: pages and feeds) and the site-wide files (sitemaps, static
files, the pages of withdrawn articles deleted) rendered by map items.

The plan already holds what the page and listing items render (the labelled articles, their records, the
listings' entries and where their pages start), so it hands each item its part in one work file instead of
letting the item read it back from the tables it just wrote: a page item's only table reads are the
related lists of its articles and whether their entries are public (batched, 100 keys a call); a listing
item reads nothing. About 11 DynamoDB calls an article fewer than reading the stored state (measured in
docs/archive.md), and the same bytes: the test compares them with the one-process publish."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from newsdrop.models import Article, is_public
from newsdrop.site import search
from newsdrop.site.entries import (
    Entry,
    InMemorySiteIndex,
    SiteRecord,
    entry_for,
    listings_for,
    with_site_labels,
)
from newsdrop.site.layout import ALL, PAGE_SIZE, article_api_key, article_key, cut
from newsdrop.site.publish import SearchChange, SiteChanges, SitePublisher
from newsdrop.site.render import HTML
from newsdrop.site.store import site_items
from newsdrop.site.wiring import PublisherRuntime, static_files


@dataclass
class PublishPlan:
    public: list[str]  # slugs of the public articles, in publication order
    listings: list[str]
    gone: list[str]  # stored articles that are not public: their pages are deleted
    search_shards: list[str]  # the search index's shards (newsdrop.site.search)
    items: dict[tuple[str, str], dict[str, Any]]  # the site table's items, PAGES included
    page_batches: list[tuple[list[str], Any]] = field(default_factory=list)  # (slugs, what write_pages gave)
    built: InMemorySiteIndex | None = None


# What a page item renders: each public article, labelled as the site labels it, with its site record.
PageBatch = list[tuple[Article, SiteRecord]]


class _PublicAmong:
    """The one read a page makes of the site table (are its related entries public?), answered from a
    batched read of every related entry of the item's articles."""

    def __init__(self, public: set[str]):
        self.public = public

    def public_among(self, slugs: Iterable[str]) -> set[str]:
        return {s for s in slugs if s in self.public}


class _SiteState(InMemorySiteIndex):
    """What the site-wide item renders (sitemaps, the search index, the topics page), from the plan: every
    public entry, the search documents, the labels, and each listing's count."""

    def __init__(self, built: InMemorySiteIndex):
        super().__init__()
        self.listings = {ALL: built.listings.get(ALL, {})}
        self.search, self.labels = built.search, built.labels
        self.counts = {name: len(entries) for name, entries in built.listings.items()}

    def count(self, listing: str) -> int:
        return self.counts.get(listing, 0)


class ShardPublisher:
    def __init__(self, runtime: PublisherRuntime, site_index: Any, related: Any = None):
        self.runtime = runtime
        self.site_index = site_index  # DynamoDBSiteIndex: the corrections' dates are kept from it
        self.related = related  # DynamoDBRelatedIndex: the lists the pages show, read in batches
        self.publisher = runtime.publisher

    def plan(
        self,
        articles: Iterable[Article],
        *,
        batch: int = 200,
        write_pages: Callable[[PageBatch], Any] | None = None,
    ) -> PublishPlan:
        """The site table's state; with ``write_pages``, the public articles handed to it in batches of
        ``batch`` as the scan reads them (the plan never holds every article's body at once)."""
        built = InMemorySiteIndex()
        updated = self.site_index.corrections()
        public, gone = [], []
        pending: PageBatch = []
        batches: list[tuple[list[str], Any]] = []

        def flush() -> None:
            if pending and write_pages is not None:
                batches.append(([a.slug for a, _ in pending], write_pages(list(pending))))
            pending.clear()

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
            pending.append((article, record))
            if len(pending) >= batch:
                flush()
        flush()
        listings = sorted(set(built.listings) | {ALL})
        page_size = self.publisher.page_size if self.publisher is not None else PAGE_SIZE
        for listing in listings:  # each listing cut afresh, as a full publish's write_listing cuts it
            built.set_pages(
                listing, cut([e.sort_key for e in built.between(listing, "", "\uffff")], page_size)
            )
        return PublishPlan(
            public=[slug for _, slug in sorted(public)],
            listings=listings,
            gone=sorted(gone),
            search_shards=sorted(built.search),
            items=site_items(built),
            page_batches=batches,
            built=built,
        )

    @staticmethod
    def listing_state(built: InMemorySiteIndex, names: Iterable[str]) -> dict[str, dict[str, Entry]]:
        """What a listing item renders: its listings' entries (a full publish cuts their pages afresh)."""
        return {n: built.listings.get(n, {}) for n in names}

    def _renderer_with(self, related: Any, index: Any) -> SitePublisher:
        p = self.publisher
        return SitePublisher(p.articles, related, index, p.renderer, now=p.now, page_size=p.page_size)

    def pages(self, batch: PageBatch) -> int:
        """The pages (and API documents) of a batch the plan wrote: two batched reads, the
        related lists and which of their entries are public, for the whole batch."""
        out = SiteChanges()
        lists = self.related.get_lists([a.slug for a, _ in batch])
        linked = sorted({r.slug for entries in lists.values() for r in entries})
        publisher = self._renderer_with(
            lambda slug: lists.get(slug, []), _PublicAmong(self.site_index.public_among(linked))
        )
        for article, record in batch:
            publisher._write_article(article, record, out)
        return self.runtime.bucket.apply(out)

    def listings(self, state: dict[str, dict[str, Entry]]) -> int:
        """Every page, feed and API document of the listings of ``state`` (``listing_state``), rendered
        from it: no table read (the pages' starts, cut here as the plan cut them, are in the table)."""
        index = InMemorySiteIndex()
        index.listings = dict(state)
        publisher = self._renderer_with(self.publisher.related, index)
        out = SiteChanges()
        for listing in state:
            publisher.write_listing(listing, out)
        return self.runtime.bucket.apply(out)

    @staticmethod
    def site_state(built: InMemorySiteIndex) -> InMemorySiteIndex:
        return _SiteState(built)

    def site(self, gone: Iterable[str], search_shards: Iterable[str], state: InMemorySiteIndex) -> int:
        """The site-wide files from ``state`` (``site_state``): no table read."""
        out = SiteChanges()
        publisher = self._renderer_with(self.publisher.related, state)
        publisher._write_sitemaps(set(state.months()), out)
        days = {search.day_of(e) for e in state.between(ALL, "", "\uffff")}  # the result documents, by day
        publisher._write_search(SearchChange(shards=set(search_shards), days=days), out)
        publisher._write_tags_index(out)
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
