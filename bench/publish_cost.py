"""Objects written and CloudFront paths invalidated per new article, at growing site sizes (must stay flat;
the search index's shards, newsdrop/site/search.py, are counted apart too),
and the time of a full re-render (`newsdrop publish --all`'s rendering) at each size.

The publisher's own domain code (`SitePublisher`, the same pages, lists and pagination) runs on an
in-memory site index with synthetic articles: 3 tags each from a pool of 60, 25 authors, one article an
hour. Each new article is related to up to 5 earlier ones sharing a tag and enters their lists, so every
new article also re-renders up to 5 other pages, as the related stream makes the real publisher do.

    .venv/bin/python bench/publish_cost.py            # 500, 2,000 and 10,000 articles
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
from newsdrop.site.entries import InMemorySiteIndex  # noqa: E402
from newsdrop.site.publish import SitePublisher  # noqa: E402
from newsdrop.site.render import Renderer, SiteSettings  # noqa: E402

TAGS = [Tag(key=f"topic-{i}", label=f"Topic {i}") for i in range(60)]
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


def make_article(i: int, rng: random.Random) -> Article:
    body = " ".join(rng.choice(WORDS) for _ in range(300))
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
        editor_tags=rng.sample(TAGS, 3),
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
    started = time.perf_counter()
    full = publisher.publish_all(world.articles.values())
    full_seconds = time.perf_counter() - started
    objects, paths, seconds, shards, shard_bytes = [], [], [], [], []
    for i in range(size, size + NEW_ARTICLES):
        article = make_article(i, rng)
        changed_lists = world.add(article, rng)
        publisher.now = lambda i=i: START + timedelta(hours=i)
        started = time.perf_counter()
        # one invocation from the articles stream, one from the related stream (as Lambda would batch them)
        own = publisher.publish([article.slug])
        lists = publisher.publish([], changed_lists)
        seconds.append(time.perf_counter() - started)
        objects.append(len(own.puts) + len(own.deletes) + len(lists.puts) + len(lists.deletes))
        paths.append(len(own.invalidation_paths) + len(lists.invalidation_paths))
        shards.append(sum(k.startswith("search/") for k in [*own.puts, *own.deletes]))
        shard_bytes.append(sum(len(o.body) for k, o in own.puts.items() if k.startswith("search/")))
    return {
        "size": size,
        "objects": sum(objects) / len(objects),
        "max_objects": max(objects),
        "paths": sum(paths) / len(paths),
        "search": sum(shards) / len(shards),
        "search_kb": sum(shard_bytes) / len(shard_bytes) / 1024,
        "ms": 1000 * sum(seconds) / len(seconds),
        "full_objects": len(full.puts),
        "full_seconds": full_seconds,
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
    sizes = [200] if args.smoke else (args.sizes or [500, 2000, 10000])
    print(f"per new article: mean of {NEW_ARTICLES} new articles (its own event + its related-list event)")
    print(
        "| articles | objects written (mean / max) | of which search shards (KB) | invalidation paths | render ms "
        "| full publish: objects, s |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        r = measure(size)
        print(
            f"| {r['size']:,} | {r['objects']:.1f} / {r['max_objects']} | {r['search']:.1f} ({r['search_kb']:,.0f} KB) | {r['paths']:.1f} "
            f"| {r['ms']:.0f} "
            f"| {r['full_objects']:,}, {r['full_seconds']:.1f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
