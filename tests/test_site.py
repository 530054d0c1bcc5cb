"""The reader's site, through the handlers on template.yaml in moto: the publisher runs from the articles
and related streams as the template wires it; pages are read back from the site bucket."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from markupsafe import escape

from newsdrop.local.dispatch import Dispatcher

ROOT = Path(__file__).resolve().parents[1]


def article(
    title: str, tags: str, body: str, date: str = "2025-03-01 09:00:00 +0000", author="Ana Ruiz"
) -> bytes:
    return f'---\ntitle: "{title}"\nauthor: {author}\ndate: "{date}"\ntags: {tags}\n---\n\n{body}\n'.encode()


STORM = article(
    "Storm closes the coast road",
    "Weather, Transport",
    "Gales closed the coast road near Porthmoor on Monday. Engineers said the road would reopen once "
    "the storm had passed and the sea wall had been inspected.\n\nBus services were diverted inland.",
)
FLOOD = article(
    "Floods follow the storm on the coast",
    "Weather",
    "Floods followed the storm along the coast near Porthmoor. The coast road stayed closed while "
    "engineers inspected the sea wall and pumped water from the storm drains.",
    date="2025-03-02 09:00:00 +0000",
)
RAIL = article(
    "Rail fares rise in spring",
    "Transport, Money",
    "Rail fares will rise by four percent in spring, the operators said, blaming energy costs and "
    "wages. Season tickets rise the most.",
    date="2025-03-03 09:00:00 +0000",
)


class Site:
    def __init__(self, stack):
        self.stack = stack
        self.s3 = stack.client("s3")
        self.bucket = stack.output("SiteBucketName")
        self.cloudfront = stack.client("cloudfront")
        self.distribution = stack.output("SiteDistributionId")

    def get(self, key: str) -> str | None:
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode()
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise

    def json(self, key: str):
        text = self.get(key)
        return None if text is None else json.loads(text)

    def object_keys(self) -> set[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return {o["Key"] for p in pages for o in p.get("Contents", [])}

    def invalidations(self) -> list[list[str]]:
        """Paths of every CreateInvalidation so far (moto records them), oldest first."""
        listed = self.cloudfront.list_invalidations(DistributionId=self.distribution)["InvalidationList"]
        ids = [i["Id"] for i in listed.get("Items", [])]
        batches = [
            self.cloudfront.get_invalidation(DistributionId=self.distribution, Id=i)["Invalidation"]
            for i in ids
        ]
        batches.sort(key=lambda inv: inv["CreateTime"])
        return [inv["InvalidationBatch"]["Paths"]["Items"] for inv in batches]


def unpublish(stack, dispatcher: Dispatcher, name: str) -> None:
    """Delete the file from the drop bucket. moto sends no notification for the delete marker of a
    versioned bucket; S3's (events/s3-delete.json) goes to the ingest function as S3 would send it."""
    bucket, key = stack.output("DropBucketName"), f"{stack.parameters['IncomingPrefix']}{name}"
    stack.client("s3").delete_object(Bucket=bucket, Key=key)
    event = json.loads((ROOT / "events" / "s3-delete.json").read_text())
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    event["Records"][0]["s3"]["object"]["key"] = key
    stack.functions["IngestFunction"].invoke(event)
    dispatcher.pump()


@pytest.fixture
def site(stack):
    return Site(stack)


def slug_of(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def test_a_new_article_gets_its_page_and_enters_home_tags_author_feeds_and_sitemaps(drop, site):
    drop("storm.md", STORM)
    slug = "storm-closes-the-coast-road"
    page = site.get(f"{slug}/index.html")
    assert page is not None
    assert page.count("<h1") == 1 and "<h1>Storm closes the coast road</h1>" in page
    assert '>By <a href="/authors/ana-ruiz/" rel="author">Ana Ruiz</a>' in page and "min read" in page
    assert f'<link rel="canonical" href="{site.stack.output("SiteUrl")}/{slug}/">' in page
    assert '<meta property="og:title" content="Storm closes the coast road">' in page
    [ld] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert (
        json.loads(ld)["@type"] == "NewsArticle"
        and json.loads(ld)["headline"] == "Storm closes the coast road"
    )
    tag_links = re.findall(r'<a href="(/tags/[^"]+/)" rel="tag">', page)
    assert len(tag_links) == len(set(tag_links)) and {"/tags/weather/", "/tags/transport/"} <= set(tag_links)
    # the subscribe form posts to the subscription API (same origin) with the article's tags as topics
    form = re.search(r'<form class="subscribe" method="post" action="/subscribers">(.*?)</form>', page, re.S)
    assert form and 'name="email"' in form.group(1)
    assert {"weather", "transport"} <= set(re.findall(r'name="topics" value="([^"]+)"', form.group(1)))
    assert 'data-bookmark data-slug="storm-closes-the-coast-road"' in page
    assert "Related posts" not in page  # nothing related yet: no section at all

    for key in [
        "index.html",
        "tags/weather/index.html",
        "tags/transport/index.html",
        "authors/ana-ruiz/index.html",
    ]:
        assert f'href="/{slug}/"' in site.get(key), key
    assert slug in site.get("feed.xml") and slug in site.get("tags/weather/feed.xml")
    assert site.json("feed.json")["items"][0]["url"].endswith(f"/{slug}/")
    assert f"/{slug}/" in site.get("sitemaps/2025-03.xml") and "sitemaps/2025-03.xml" in site.get(
        "sitemap.xml"
    )


def test_a_new_article_writes_only_what_it_touches_in_one_invalidation(drop, site):
    drop("storm.md", STORM)
    drop("rail.md", RAIL)
    before = len(site.invalidations())
    drop("flood.md", FLOOD)  # related to the storm article, not to the rail one
    batches = site.invalidations()[before:]
    paths = [p for batch in batches for p in batch]
    for batch in batches:
        assert len(batch) == len(set(batch))  # deduplicated within each CreateInvalidation
    flood = "floods-follow-the-storm-on-the-coast"
    assert f"/{flood}/index.html" in paths and f"/api/articles/{flood}.json" in paths
    assert {"/index.html", "/tags/weather/index.html", "/feed.xml", "/feed.json"} <= set(paths)
    # the storm page changed because its related list did; the rail article's page was left alone
    assert "/storm-closes-the-coast-road/index.html" in paths
    assert "/rail-fares-rise-in-spring/index.html" not in paths
    assert not any(p.startswith(("/tags/money/", "/tags/transport/")) for p in paths)
    storm = site.get("storm-closes-the-coast-road/index.html")
    assert "Related posts" in storm and f'href="/{flood}/"' in storm


def test_the_publisher_makes_one_invalidation_per_invocation_with_unique_paths(stack, drop, site):
    drop("storm.md", STORM)
    drop("rail.md", RAIL)
    before = len(site.invalidations())
    record = {
        "eventName": "MODIFY",
        "dynamodb": {"Keys": {"pk": {"S": "ARTICLE#storm-closes-the-coast-road"}, "sk": {"S": "CURRENT"}}},
    }
    related = {
        "eventName": "MODIFY",
        "dynamodb": {"Keys": {"pk": {"S": "DOC#rail-fares-rise-in-spring"}, "sk": {"S": "RELATED"}}},
    }
    stack.functions["PublisherFunction"].invoke({"Records": [record, record, related, related]})
    batches = site.invalidations()[before:]
    assert len(batches) == 1
    [paths] = batches
    assert len(paths) == len(set(paths))
    assert {"/storm-closes-the-coast-road/index.html", "/rail-fares-rise-in-spring/index.html"} <= set(paths)


def test_an_unpublished_article_leaves_every_page_feed_sitemap_and_the_api(
    stack, drop, site, dispatcher: Dispatcher
):
    drop("storm.md", STORM)
    drop("flood.md", FLOOD)
    drop("rail.md", RAIL)
    storm = "storm-closes-the-coast-road"
    assert f'href="/{storm}/"' in site.get("floods-follow-the-storm-on-the-coast/index.html")
    unpublish(stack, dispatcher, "storm.md")

    assert site.get(f"{storm}/index.html") is None and site.get(f"api/articles/{storm}.json") is None
    leftovers = {key: text for key in site.object_keys() if (text := site.get(key)) and storm in text}
    assert leftovers == {}, sorted(leftovers)
    assert site.get("tags/weather/index.html") is not None  # the flood article still holds the tag
    # its tag "transport" is still held by the rail article; a tag nobody holds any more has no page
    assert "rail-fares-rise-in-spring" in site.get("tags/transport/index.html")


def test_hostile_titles_tags_and_authors_are_escaped_everywhere(drop, site):
    hostile = {
        "title": "</script><script>alert(1)</script> & <b>bold</b>",
        "author": '"><svg onload=alert(4)>',
        "date": "2025-03-01T09:00:00Z",
        "tags": ["<img src=x onerror=alert(2)>", 'Tom & "Jerry" <3', "Weather"],
        "body": "A body with <script>alert(3)</script> inside, and more words about the weather on the coast.",
    }
    drop("hostile.json", json.dumps(hostile).encode())
    keys = [
        k for k in site.object_keys() if k.endswith("/index.html") and not k.startswith(("tags/", "authors/"))
    ]
    pages = {k: site.get(k) for k in keys} | {
        k: site.get(k) for k in site.object_keys() if k.startswith(("tags/", "authors/"))
    }
    for key, text in pages.items():
        if not key.endswith((".html", ".xml")):
            continue  # JSON documents carry the title as data (checked below), not as markup
        assert "<script>alert" not in text, key
        assert "<img src=x" not in text and "<svg onload" not in text and "<b>bold" not in text, key
        assert "</script><script>" not in text, key
    [page_key] = [k for k in keys if k not in ("index.html",) and not k.startswith("page/")]
    page = pages[page_key]
    [h1] = re.findall(r"<h1>(.*?)</h1>", page, re.S)
    assert "&amp;" in h1 and "<" not in h1  # shown as text (ingest already dropped the tags from it)
    # whatever of the hostile tags ingest keeps is shown as text on its tag page, in feeds and in JSON-LD
    labels = [t["label"] for t in site.json(f"api/articles/{page_key.split('/')[0]}.json")["tags"]]
    hostile_labels = [label for label in labels if set(label) & set('<>&"')]
    assert hostile_labels, labels
    [ld] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert set(hostile_labels) <= set(json.loads(ld)["keywords"])  # intact as data, inert as markup
    feed = site.get("feed.xml")
    for label in hostile_labels:
        tag_page = next(
            text
            for key, text in pages.items()
            if key.startswith("tags/")
            and key.endswith("/index.html")
            and f"<h1>#{escape(label)}</h1>" in text
        )
        assert label not in tag_page or not set(label) & set("<>&")
        assert f"<category>{escape(label)}</category>" in feed
    assert set(hostile_labels) <= set(site.json("feed.json")["items"][0]["tags"])


def test_json_api_shapes(drop, site):
    drop("storm.md", STORM)
    drop("flood.md", FLOOD)
    flood = site.json("api/articles/floods-follow-the-storm-on-the-coast.json")
    assert set(flood) == {
        "slug",
        "url",
        "title",
        "author",
        "authors",
        "summary",
        "published",
        "updated",
        "reading_minutes",
        "excerpt",
        "tags",
        "body_html",
        "related",
    }
    assert flood["tags"] == [{"key": "weather", "label": "Weather"}, *flood["tags"][1:]]
    assert flood["body_html"].startswith("<p>Floods followed")
    assert [r["slug"] for r in flood["related"]] == ["storm-closes-the-coast-road"]
    assert set(flood["related"][0]) == {"slug", "title", "excerpt", "url"}
    latest = site.json("api/latest.json")
    assert [a["slug"] for a in latest["articles"]] == [
        "floods-follow-the-storm-on-the-coast",
        "storm-closes-the-coast-road",
    ]
    assert set(latest["articles"][0]) == {
        "slug",
        "url",
        "title",
        "author",
        "authors",
        "published",
        "updated",
        "excerpt",
        "tags",
        "api",
    }
    weather = site.json("api/tags/weather.json")
    assert weather["title"] == "#Weather" and len(weather["articles"]) == 2


def test_a_corrected_article_says_updated(stack, drop, site):
    drop("storm.md", STORM)
    drop(
        "storm.md",
        STORM.replace(
            b"Bus services were diverted inland.", b"Bus services were diverted inland via Tregarth."
        ),
    )
    page = site.get("storm-closes-the-coast-road/index.html")
    assert "Tregarth" in page and 'class="updated">Updated <time' in page
    from newsdrop.site.export import publish_local_stack

    publish_local_stack(stack)  # a full re-render keeps the correction date
    assert site.get("storm-closes-the-coast-road/index.html") == page


def test_publish_all_rewrites_the_whole_site_from_the_tables(stack, drop, site):
    from newsdrop.site.export import publish_local_stack

    drop("storm.md", STORM)
    drop("rail.md", RAIL)
    site.s3.delete_object(Bucket=site.bucket, Key="index.html")
    site.s3.put_object(Bucket=site.bucket, Key="stale-article/index.html", Body=b"old")
    before = len(site.invalidations())
    report = publish_local_stack(stack)
    assert "rail-fares-rise-in-spring" in site.get("index.html")
    assert site.get("stale-article/index.html") is None
    assert "You have not yet added any article to your bookmarks!" in site.get("bookmarks/index.html")
    assert site.get("404.html") is not None and site.get("static/site.css") is not None
    assert report.written > 10 and len(site.invalidations()) == before + 1


def test_newsdrop_run_writes_the_whole_site_to_a_folder(tmp_path):
    from newsdrop.cli import article_files
    from newsdrop.local.pipeline import run_pipeline

    samples = [
        ROOT / "samples" / "football-transfer-record.md",
        ROOT / "samples" / "venezuela-election-date.md",
    ]
    result = run_pipeline(article_files(samples), site=tmp_path / "site", progress=False)
    slugs = [a["slug"] for a in result["articles"]]
    site = tmp_path / "site"
    home = (site / "index.html").read_text()
    for slug in slugs:
        assert (site / slug / "index.html").exists() and f'href="/{slug}/"' in home
        assert json.loads((site / "api" / "articles" / f"{slug}.json").read_text())["slug"] == slug
    assert (
        "You have not yet added any article to your bookmarks!"
        in (site / "bookmarks" / "index.html").read_text()
    )
    assert (site / "404.html").exists() and (site / "static" / "site.css").exists()
    assert {i["url"].rsplit("/", 2)[1] for i in json.loads((site / "feed.json").read_text())["items"]} == set(
        slugs
    )


def test_a_record_that_fails_is_reported_and_the_ones_before_it_are_published(stack, drop, site, monkeypatch):
    from newsdrop.ingest.store import ArticleStore

    drop("storm.md", STORM)
    drop("rail.md", RAIL)
    site.s3.delete_object(Bucket=site.bucket, Key="storm-closes-the-coast-road/index.html")
    real = ArticleStore.get_article

    def throttled_for_rail(self, slug):
        if slug == "rail-fares-rise-in-spring":
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "GetItem")
        return real(self, slug)

    monkeypatch.setattr(ArticleStore, "get_article", throttled_for_rail)

    def record(slug: str, sequence: str) -> dict:
        keys = {"pk": {"S": f"ARTICLE#{slug}"}, "sk": {"S": "CURRENT"}}
        return {"eventName": "MODIFY", "dynamodb": {"Keys": keys, "SequenceNumber": sequence}}

    before = len(site.invalidations())
    result = stack.functions["PublisherFunction"].invoke(
        {
            "Records": [
                record("storm-closes-the-coast-road", "100"),
                record("rail-fares-rise-in-spring", "200"),
            ]
        }
    )
    assert result == {"batchItemFailures": [{"itemIdentifier": "200"}]}  # retried from there
    assert site.get("storm-closes-the-coast-road/index.html") is not None
    assert len(site.invalidations()) == before + 1


def test_the_site_bucket_is_private_and_only_cloudfront_reads_it_over_https(stack):
    resources = stack.cfn["Resources"]  # moto ignores these settings: read them from the template
    bucket = resources["SiteBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    [policy] = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in resources.values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": "SiteBucket"}
    ]
    allows = [s for s in policy if s["Effect"] == "Allow"]
    assert allows and all(s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in allows)
    assert all("SiteDistribution" in json.dumps(s["Condition"]) for s in allows)  # this distribution only
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy
    )
    config = resources["SiteDistribution"]["Properties"]["DistributionConfig"]
    [site_origin] = [o for o in config["Origins"] if o["Id"] == "site"]
    assert site_origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    assert all(b["ViewerProtocolPolicy"] in ("redirect-to-https", "https-only") for b in behaviours)
    # emails link to the distribution (or SiteBaseUrl): the sender's SITE_BASE_URL is its domain here
    assert stack.functions["SenderFunction"].env["SITE_BASE_URL"] == stack.output("SiteUrl")
    assert stack.output("SiteUrl") == "https://" + stack.output("SiteDistributionDomainName")
