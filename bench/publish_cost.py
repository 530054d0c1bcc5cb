"""Objects and bytes written and CloudFront paths invalidated per new article, at growing site sizes: they
must stay flat. The search index's shards (newsdrop/site/search.py) are counted apart too.

The publisher's own domain code (`SitePublisher`, the same pages, lists, pagination and sitemaps) runs on an
in-memory site index with synthetic articles: 3 tags each from a pool of 60, plus one tag ("common") on 30%
of all articles and on every new one, 25 authors, one article an hour. Each new article is related to up
to 5 earlier ones sharing a tag and enters their lists, so every new article also re-renders up to 5 other
pages, as the related stream makes the real publisher do. Then an article of the first week, in the common
tag, is withdrawn (its pages leave every list): the objects that writes are the last column.

The site index is built as a full publish leaves it (records, lists, search postings, pages cut) without
rendering the pages, so 50,000 articles fit in a few minutes.

    .venv/bin/python bench/publish_cost.py            # 1,000, 10,000 and 50,000 articles
    .venv/bin/python bench/publish_cost.py --smoke    # 200 articles
    .venv/bin/python bench/publish_cost.py --full 2000 # `newsdrop publish --all` on the local stack (moto)

``--full N`` deploys template.yaml into in-process moto, writes N synthetic articles and their related
lists straight into the tables, and times the full publish the CLI runs (render, S3 writes, the site
table rewrite, one invalidation).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from newsdrop.models import Article, RelatedEntry, Tag  # noqa: E402
from newsdrop.site import search  # noqa: E402
from newsdrop.site.entries import InMemorySiteIndex, SiteRecord, entry_for, listings_for  # noqa: E402
from newsdrop.site.layout import cut  # noqa: E402
from newsdrop.site.publish import SitePublisher  # noqa: E402
from newsdrop.site.render import Renderer, SiteSettings  # noqa: E402

TAGS = [Tag(key=f"topic-{i}", label=f"Topic {i}") for i in range(60)]
COMMON = Tag(key="common", label="Common")
COMMON_SHARE = 0.3
AUTHORS = [f"Reporter {i}" for i in range(25)]
WORDS = [
    "harbour",
    "council",
    "budget",
    "storm",
    "rail",
    "fares",
    "election",
    "market",
    "striker",
    "museum",
    "energy",
    "court",
]
START = datetime(2024, 1, 1, tzinfo=UTC)
NEW_ARTICLES = 20


def make_article(i: int, rng: random.Random, *, common: bool | None = None) -> Article:
    body = " ".join(rng.choice(WORDS) for _ in range(300))
    tags = rng.sample(TAGS, 3)
    if common if common is not None else rng.random() < COMMON_SHARE:
        tags.append(COMMON)
    return Article(
        slug=f"article-{i}",
        title=f"Article {i}: {rng.choice(WORDS)} {rng.choice(WORDS)}",
        author=rng.choice(AUTHORS),
        published=START + timedelta(hours=i),
        body=body,
        body_format="text",
        excerpt=body[:150],
        word_count=300,
        reading_minutes=2,
        editor_tags=tags,
        source_key=f"incoming/article-{i}.md",
        content_hash=f"h{i}",
    )


class World:
    """Articles and related lists, as the tables would hold them."""

    def __init__(self) -> None:
        self.articles: dict[str, Article] = {}
        self.lists: dict[str, list[RelatedEntry]] = {}
        self.by_tag: dict[str, list[str]] = {}

    def get_article(self, slug: str) -> Article | None:
        return self.articles.get(slug)

    def related(self, slug: str) -> list[RelatedEntry]:
        return self.lists.get(slug, [])

    def add(self, article: Article, rng: random.Random) -> list[str]:
        """Store ``article``; returns the slugs whose related lists changed."""
        self.articles[article.slug] = article
        candidates = {s for t in article.editor_tags for s in self.by_tag.get(t.key, [])[-50:]}
        related = rng.sample(sorted(candidates), min(5, len(candidates)))
        entry = RelatedEntry(slug=article.slug, title=article.title, excerpt=article.excerpt, score=0.5)
        self.lists[article.slug] = [
            RelatedEntry(slug=s, title=self.articles[s].title, excerpt=self.articles[s].excerpt, score=0.5)
            for s in related
        ]
        for slug in related:
            self.lists[slug] = [entry, *self.lists.get(slug, [])][:6]
        for tag in article.editor_tags:
            self.by_tag.setdefault(tag.key, []).append(article.slug)
        return [article.slug, *related]


def listing_page(key: str) -> bool:
    """A page of the home list, a tag or an author (front or archive)."""
    return key == "index.html" or (
        key.startswith(("page/", "tags/", "authors/"))
        and key.endswith("index.html")
        and key != "tags/index.html"
    )


def build_index(publisher: SitePublisher, articles: list[Article]) -> None:
    """The site index as a full publish leaves it, without rendering a page."""
    index = publisher.index
    for article in articles:
        entry = entry_for(article, None)
        index.put_record(SiteRecord(entry=entry, listings=listings_for(article), revision=article.revision))
        for listing in listings_for(article):
            index.add_entry(listing, entry)
        for shard, words in search.shards(entry).items():
            index.search_put(shard, entry.slug, search.posting(entry, words))
    for listing, entries in index.listings.items():
        index.set_pages(listing, cut(sorted(entries), publisher.page_size))


def measure(size: int, seed: int = 11) -> dict[str, float]:
    rng = random.Random(seed)
    world = World()
    renderer = Renderer(SiteSettings(base_url="https://d111111abcdef8.cloudfront.net"))
    for i in range(size):
        world.add(make_article(i, rng), rng)
    index = InMemorySiteIndex()
    publisher = SitePublisher(
        world, world.related, index, renderer, now=lambda: START + timedelta(hours=size)
    )
    build_index(publisher, list(world.articles.values()))
    objects, kb, paths, seconds, shards, shard_kb, pages = [], [], [], [], [], [], []
    for i in range(size, size + NEW_ARTICLES):
        article = make_article(i, rng, common=True)
        changed_lists = world.add(article, rng)
        publisher.now = lambda i=i: START + timedelta(hours=i)
        started = time.perf_counter()
        # one invocation from the articles stream, one from the related stream (as Lambda would batch them)
        own = publisher.publish([article.slug])
        lists = publisher.publish([], changed_lists)
        seconds.append(time.perf_counter() - started)
        written = [*own.puts.items(), *lists.puts.items()]
        objects.append(len(written) + len(own.deletes) + len(lists.deletes))
        kb.append(sum(len(o.body) for _, o in written) / 1024)
        paths.append(len(own.invalidation_paths) + len(lists.invalidation_paths))
        shards.append(sum(k.startswith("search/") for k in [*own.puts, *own.deletes]))
        shard_kb.append(sum(len(o.body) for k, o in own.puts.items() if k.startswith("search/")) / 1024)
        pages.append(sum(listing_page(k) for k, _ in written))
    # an article of the first week, in the common tag, withdrawn: every list it was in loses it
    old = next(a for a in world.articles.values() if COMMON in a.editor_tags)
    del world.articles[old.slug]
    withdrawn = publisher.publish([old.slug])
    return {
        "size": size,
        "common": index.count("tag/common"),
        "objects": sum(objects) / len(objects),
        "max_objects": max(objects),
        "kb": sum(kb) / len(kb),
        "paths": sum(paths) / len(paths),
        "search": sum(shards) / len(shards),
        "search_kb": sum(shard_kb) / len(shard_kb),
        "pages": sum(pages) / len(pages),
        "withdrawn": len(withdrawn.puts) + len(withdrawn.deletes),
        "ms": 1000 * sum(seconds) / len(seconds),
    }


def full_publish_on_moto(size: int, seed: int = 11) -> None:
    import os
    import warnings

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
    )
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("moto").setLevel(logging.ERROR)
    from moto import mock_aws

    from newsdrop.ingest.store import article_to_item
    from newsdrop.local.stack import LocalStack
    from newsdrop.related.store import DynamoDBRelatedIndex
    from newsdrop.site.export import publish_all

    rng = random.Random(seed)
    world = World()
    for i in range(size):
        world.add(make_article(i, rng), rng)
    with mock_aws():
        stack = LocalStack().deploy()
        dynamodb = stack.session.resource("dynamodb")
        with dynamodb.Table(stack.resource("ArticlesTable")).batch_writer() as batch:
            for article in world.articles.values():
                batch.put_item(Item=article_to_item(article))
        DynamoDBRelatedIndex(stack.resource("RelatedTable"), dynamodb).put_lists(world.lists)
        started = time.perf_counter()
        report = publish_all(stack.session, stack.outputs())
        took = time.perf_counter() - started
    print(
        f"newsdrop publish --all at {size:,} articles on moto: {took:.1f} s, {report.written:,} objects written, "
        f"{report.invalidation_paths:,} paths in 1 invalidation"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="200 articles only")
    parser.add_argument("--full", type=int, metavar="N", help="time a full publish of N articles on moto")
    parser.add_argument("sizes", nargs="*", type=int)
    args = parser.parse_args()
    if args.full:
        full_publish_on_moto(args.full)
        return
    sizes = [200] if args.smoke else (args.sizes or [1000, 10000, 50000])
    print(
        f"per new article (in the {COMMON_SHARE:.0%} tag): mean of {NEW_ARTICLES} new articles, its own event + its "
        "related-list event; then one old article of that tag withdrawn"
    )
    print(
        "| articles | in the 30% tag | objects written (mean / max) | KB written | of which search: objects (KB) "
        "| listing pages | invalidation paths | withdrawing an old article: objects | render ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        r = measure(size)
        print(
            f"| {r['size']:,} | {r['common']:,} | {r['objects']:.1f} / {r['max_objects']} | {r['kb']:,.0f} "
            f"| {r['search']:.1f} ({r['search_kb']:,.0f}) | {r['pages']:.1f} | {r['paths']:.1f} | {r['withdrawn']} "
            f"| {r['ms']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
