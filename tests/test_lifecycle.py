"""The editorial lifecycle through the handlers on template.yaml in moto: drafts, scheduled publishing
(EventBridge Scheduler, fired by the local dispatcher when the local clock reaches it), expiry, and who
is emailed when. Dates are relative to the local clock, which the tests move forward instead of sleeping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from newsdrop.local.moto_patches import clock

ROOT = Path(__file__).resolve().parents[1]

BODY_A = "The harbour authority in Valparaiso opened a new container terminal on the southern pier. " * 6
BODY_B = "Valparaiso harbour workers began moving containers through the new southern pier terminal. " * 6


def now() -> datetime:
    return datetime.fromtimestamp(clock.time(), UTC).replace(microsecond=0)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def md(title: str, body: str = BODY_A, tags: str = "Chile, Ports", **fields: object) -> bytes:
    extra = "".join(f"{k}: {v}\n" for k, v in fields.items())
    return f"---\ntitle: {title}\nauthor: Ana Reyes\ntags: [{tags}]\n{extra}---\n\n{body}\n".encode()


@pytest.fixture
def world(stack, dispatcher, drop, articles):
    """The stack with two subscribers following everything, and helpers to read what readers get."""
    from newsdrop.local.audience import prepare_mail, seed_subscribers
    from newsdrop.local.mail import sent_messages
    from newsdrop.related.store import DynamoDBRelatedIndex

    prepare_mail(stack)
    seed_subscribers(stack, "2")
    related = DynamoDBRelatedIndex(stack.resource("RelatedTable"), stack.session.resource("dynamodb"))

    class World:
        def emails(self, slug: str | None = None) -> list:
            return [m for m in sent_messages(stack) if slug is None or m.article == slug]

        def related(self, slug: str) -> list[str]:
            return [e.slug for e in related.related_for(slug)]

        def lists_holding(self, slug: str) -> list[str]:
            return [a.slug for a in articles.iter_articles() if slug in self.related(a.slug)]

        def drop(self, name: str, body: bytes) -> str:
            key = drop(name, body)
            return articles.drops_for(key)[-1].get("slug") or key

        def state(self, slug: str) -> str:
            return articles.get_article(slug).state

        def schedules(self) -> list[dict]:
            return dispatcher.pending_schedules()

        def at(self, when: datetime) -> None:
            dispatcher.advance_clock_to(when)
            dispatcher.pump()

        def delete(self, name: str) -> None:
            key = f"incoming/{name}"
            stack.client("s3").delete_object(Bucket=stack.output("DropBucketName"), Key=key)
            # moto sends no notification for a delete marker in a versioned bucket; S3 does, like this:
            event = json.loads((ROOT / "events" / "s3-delete.json").read_text())
            event["Records"][0]["s3"]["bucket"]["name"] = stack.output("DropBucketName")
            event["Records"][0]["s3"]["object"]["key"] = key
            stack.functions["IngestFunction"].invoke(event)
            dispatcher.pump()

        def replay_stream_to_notify(self, slug: str) -> int:
            """Deliver again, to the notify function, every articles-stream record of this article that
            the template's filter passes (a stream batch retried, or redriven from its DLQ)."""
            from newsdrop.local.dispatch import _lambda_stream_record
            from newsdrop.local.filters import matches_any

            [source] = [s for s in stack.event_sources if s.function == "NotifyFunction"]
            patterns = [json.loads(f["Pattern"]) for f in source.props["FilterCriteria"]["Filters"]]
            arn = stack.resolve(source.source)
            streams = dispatcher._streams
            records = []
            for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                it = streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                records += streams.get_records(ShardIterator=it, Limit=1000)["Records"]
            mine = [_lambda_stream_record(r, arn) for r in records]
            mine = [
                r for r in mine
                if r["dynamodb"]["Keys"]["pk"]["S"] == f"ARTICLE#{slug}" and matches_any(patterns, r)
            ]  # fmt: skip
            stack.functions["NotifyFunction"].invoke({"Records": mine})
            dispatcher.pump()
            return len(mine)

        def fire_again(self, schedule: dict) -> dict:
            """The same schedule delivered once more (Scheduler is at-least-once)."""
            return stack.functions["LifecycleFunction"].invoke(json.loads(schedule["Target"]["Input"]))

    world = World()
    world._stack = stack
    return world


def test_a_draft_is_stored_but_seen_by_no_reader_until_it_is_uploaded_without_draft(world):
    other = world.drop("other.md", md("Valparaiso terminal opens", BODY_B))
    slug = world.drop("port.md", md("New container terminal in Valparaiso", draft="true"))
    assert world.state(slug) == "draft"
    assert world.related(slug) == [] and world.lists_holding(slug) == []
    assert world.emails(slug) == []
    assert world.schedules() == []

    world.drop("port.md", md("New container terminal in Valparaiso"))
    assert world.state(slug) == "published"
    assert slug in world.related(other) and other in world.related(slug)
    assert len(world.emails(slug)) == 2  # two subscribers, one email each


def test_published_back_to_draft_leaves_every_list_and_is_not_announced_again(world):
    other = world.drop("other.md", md("Valparaiso terminal opens", BODY_B))
    slug = world.drop("port.md", md("New container terminal in Valparaiso"))
    assert world.lists_holding(slug) == [other] and len(world.emails(slug)) == 2

    world.drop("port.md", md("New container terminal in Valparaiso", draft=True))
    assert world.state(slug) == "draft"
    assert world.lists_holding(slug) == [] and world.related(slug) == []

    world.drop("port.md", md("New container terminal in Valparaiso", BODY_A + " Updated."))
    assert world.state(slug) == "published" and world.lists_holding(slug) == [other]
    assert len(world.emails(slug)) == 2  # published again: not announced again


def test_a_scheduled_article_is_published_by_its_schedule_when_the_clock_passes_its_date(world, articles):
    other = world.drop("other.md", md("Valparaiso terminal opens", BODY_B))
    embargo = now() + timedelta(days=2)
    slug = world.drop("port.md", md("New container terminal in Valparaiso", date=iso(embargo)))
    article = articles.get_article(slug)
    assert (article.state, article.publish_at) == ("scheduled", embargo)
    [schedule] = world.schedules()
    assert schedule["At"] == embargo and schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["ScheduleExpression"] == f"at({embargo.strftime('%Y-%m-%dT%H:%M:%S')})"
    assert schedule["Target"]["Arn"] == world_function_arn(world, "LifecycleFunction")
    assert world.lists_holding(slug) == [] and world.emails(slug) == []

    world.at(embargo - timedelta(minutes=1))  # not yet
    assert world.state(slug) == "scheduled" and world.emails(slug) == []

    world.at(embargo + timedelta(minutes=5))
    assert world.state(slug) == "published"
    assert world.schedules() == []  # deleted after it ran
    assert world.lists_holding(slug) == [other]
    assert len(world.emails(slug)) == 2

    # Scheduler delivers at least once, and the stream may deliver a record again: one email each.
    assert world.fire_again(schedule)["applied"] is False
    assert world.replay_stream_to_notify(slug) >= 1
    assert len(world.emails(slug)) == 2
    assert world.state(slug) == "published"


@pytest.mark.parametrize(
    ("broken", "named"),
    [({"slug": None}, "slug"), ({"action": "delete"}, "action"), ({"revision": "2"}, "revision"),
     ({"revision": 0}, "revision"), ({"at": "soon"}, "soon"), ({"slug": ...}, "slug")],
)  # fmt: skip
def test_a_malformed_schedule_event_fails_naming_the_problem_and_moves_nothing(world, broken, named):
    """The lifecycle function's event is ours (transition_input), but Scheduler or an operator can hand
    it anything: it fails validation (pydantic, through Powertools' Parser) naming what is wrong, so its retries end in the schedule group's DLQ, and the
    article stays where it was."""
    embargo = now() + timedelta(days=2)
    slug = world.drop("port.md", md("New container terminal in Valparaiso", date=iso(embargo)))
    [schedule] = world.schedules()
    event = {**json.loads(schedule["Target"]["Input"]), **broken}
    event = {k: v for k, v in event.items() if v is not ...}
    with pytest.raises(ValidationError, match="validation error for TransitionRequest") as info:
        world._stack.functions["LifecycleFunction"].invoke(event)
    assert named in str(info.value)
    assert world.state(slug) == "scheduled"


def world_function_arn(world, logical_id: str) -> str:
    return world._stack.functions[logical_id].arn


def test_a_moved_date_moves_the_schedule_and_a_deleted_file_cancels_it(world):
    first = now() + timedelta(days=2)
    moved = now() + timedelta(days=5)
    slug = world.drop("port.md", md("New container terminal in Valparaiso", date=iso(first)))
    world.drop("port.md", md("New container terminal in Valparaiso", date=iso(moved)))
    [schedule] = world.schedules()
    assert schedule["At"] == moved

    world.at(first + timedelta(hours=1))
    assert world.state(slug) == "scheduled" and world.emails(slug) == []
    world.at(moved + timedelta(minutes=1))
    assert world.state(slug) == "published" and len(world.emails(slug)) == 2

    later = now() + timedelta(days=2)
    cancelled = world.drop("cancelled.md", md("Terminal strike called off", BODY_B, date=iso(later)))
    assert [s["At"] for s in world.schedules()] == [later]
    world.delete("cancelled.md")
    assert world.schedules() == []
    world.at(later + timedelta(hours=1))
    assert world.emails(cancelled) == [] and world.lists_holding(cancelled) == []


def test_expiry_takes_the_article_out_of_every_list_and_keeps_its_text(world, articles):
    other = world.drop("other.md", md("Valparaiso terminal opens", BODY_B))
    until = now() + timedelta(days=1)
    slug = world.drop("port.md", md("New container terminal in Valparaiso", expires=iso(until)))
    assert world.state(slug) == "published" and world.lists_holding(slug) == [other]
    assert [s["Name"].split("-")[0] for s in world.schedules()] == ["expire"]

    world.at(until + timedelta(minutes=1))
    expired = articles.get_article(slug)
    assert expired.state == "expired" and expired.expires_at == until
    assert "container terminal" in expired.body
    assert world.lists_holding(slug) == [] and world.related(slug) == []
    assert world.schedules() == []
    assert len(world.emails(slug)) == 2  # announced once, when it was published; nothing on expiry


def test_a_back_dated_article_is_published_and_related_but_never_emailed(world):
    other = world.drop("other.md", md("Valparaiso terminal opens", BODY_B))
    slug = world.drop("archive.md", md("New container terminal in Valparaiso", date="2015-03-02"))
    assert world.state(slug) == "published"
    assert world.lists_holding(slug) == [other]
    assert world.emails(slug) == []
    assert world.replay_stream_to_notify(slug) == 1
    assert world.emails(slug) == []


def test_a_fresh_article_is_emailed_exactly_once_even_when_its_stream_record_comes_twice(world):
    slug = world.drop(
        "fresh.md", md("New container terminal in Valparaiso", date=iso(now() - timedelta(hours=3)))
    )
    assert len(world.emails(slug)) == 2
    assert world.replay_stream_to_notify(slug) == 1
    assert len(world.emails(slug)) == 2
    # a correction is never announced
    world.drop("fresh.md", md("New container terminal in Valparaiso", BODY_A + " Corrected."))
    assert len(world.emails(slug)) == 2


def test_notify_false_publishes_without_an_email(world):
    slug = world.drop("quiet.md", md("New container terminal in Valparaiso", notify="false"))
    assert world.state(slug) == "published" and world.emails(slug) == []


def test_an_unparseable_lifecycle_date_is_quarantined_naming_the_field(world, articles, drop):
    key = drop("bad.md", md("New container terminal in Valparaiso", expires="next tuesday"))
    [outcome] = articles.drops_for(key)
    assert outcome["status"] == "rejected" and outcome["reason"] == "invalid_field"
    assert "'expires'" in outcome["detail"]
    key = drop("bad2.md", md("New container terminal in Valparaiso", publishDate="someday"))
    [outcome] = articles.drops_for(key)
    assert outcome["reason"] == "invalid_field" and "'date'" in outcome["detail"]


def test_newsdrop_run_reports_states_and_now_fires_due_schedules(tmp_path):
    """The issue's first report, as a new user runs it: an embargoed story and an archive story."""
    import subprocess
    import sys

    embargo = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)  # a new process: real time
    (tmp_path / "embargoed.md").write_bytes(md("Election result embargoed", draft="false", date=iso(embargo)))
    (tmp_path / "archive.md").write_bytes(md("Harbour history", BODY_B, date="2015-03-02"))

    def run(*extra: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "newsdrop.cli", "run", str(tmp_path), "--subscribers", "3", "--json", *extra],
            capture_output=True, text=True, check=True, cwd=ROOT, timeout=600,
        )  # fmt: skip
        return json.loads(out.stdout)

    before = run()
    states = {a["slug"]: (a["state"], a["publish_at"]) for a in before["articles"]}
    assert states["election-result-embargoed"] == ("scheduled", embargo.isoformat())
    assert states["harbour-history"][0] == "published"
    assert before["emails"] == []
    assert [(s["slug"], s["action"]) for s in before["schedules"]] == [
        ("election-result-embargoed", "publish")
    ]

    after = run("--now", iso(embargo + timedelta(minutes=5)))
    states = {a["slug"]: a["state"] for a in after["articles"]}
    assert states == {"election-result-embargoed": "published", "harbour-history": "published"}
    assert sorted(m["article"] for m in after["emails"]) == ["election-result-embargoed"] * 3
    assert after["schedules"] == []


def test_a_long_burst_of_back_dated_articles_costs_one_canonical_rebuild(stack, dispatcher, articles):
    """Back-dated files keep arriving for longer than the rebuild delay: the request that comes back
    while updates are still arriving waits again, and one rebuild runs after the burst."""
    from newsdrop.related.engine import InMemoryRelatedIndex, reindex_all, related_for
    from newsdrop.related.store import DynamoDBRelatedIndex

    delay = int(stack.parameters["RelatedRebuildDelaySeconds"])
    ran: list[bool] = []
    rebuild = stack.functions["RebuildFunction"]
    real_invoke = rebuild.invoke
    rebuild.invoke = lambda event: ran.append(real_invoke(event)["ran"]) or {"batchItemFailures": []}
    bucket = stack.output("DropBucketName")

    def drop_and_settle(name: str, body: bytes) -> None:  # no clock move: the burst goes on
        stack.client("s3").put_object(Bucket=bucket, Key=f"incoming/{name}", Body=body)
        while dispatcher.step():
            pass

    titles = [
        "Harbour cranes arrive",
        "Harbour dredging starts",
        "Harbour pilots strike",
        "Harbour fees rise",
    ]
    for i, title in enumerate(titles):  # newest first: every later one is out of order
        drop_and_settle(f"{i}.md", md(title, BODY_A if i % 2 else BODY_B, date=f"200{5 - i}-03-0{i + 1}"))
        clock.advance(delay * 0.6)
    dispatcher.pump()
    assert ran == [False, True]  # a request deferred while the burst went on, then one rebuild

    public = list(articles.iter_public_articles())
    clean = InMemoryRelatedIndex()
    reindex_all(clean, public)
    live = DynamoDBRelatedIndex(stack.resource("RelatedTable"), stack.session.resource("dynamodb"))
    for a in public:
        assert [(e.slug, e.score) for e in related_for(live, a.slug)] == [
            (e.slug, e.score) for e in related_for(clean, a.slug)
        ]


def test_the_site_shows_an_article_only_while_it_is_published(world, stack):
    """Embargo, correction to draft and expiry reach the reader's site through the same stream the
    publisher reads: a page exists exactly while the article is public."""
    s3, bucket = stack.client("s3"), stack.output("SiteBucketName")

    def page(slug: str) -> str | None:
        try:
            return s3.get_object(Bucket=bucket, Key=f"{slug}/index.html")["Body"].read().decode()
        except s3.exceptions.NoSuchKey:
            return None

    def home() -> str:
        return s3.get_object(Bucket=bucket, Key="index.html")["Body"].read().decode()

    embargo, expiry = now() + timedelta(days=1), now() + timedelta(days=3)
    slug = world.drop(
        "port.md", md("New container terminal in Valparaiso", date=iso(embargo), expires=iso(expiry))
    )
    world.drop("other.md", md("Valparaiso terminal opens", BODY_B))
    assert page(slug) is None and f"/{slug}/" not in home()  # embargoed: nowhere

    world.at(embargo + timedelta(minutes=5))
    assert "New container terminal in Valparaiso" in page(slug) and f"/{slug}/" in home()

    world.drop(
        "port.md",
        md("New container terminal in Valparaiso", date=iso(embargo), expires=iso(expiry), draft="true"),
    )
    assert world.state(slug) == "draft" and page(slug) is None and f"/{slug}/" not in home()

    world.drop("port.md", md("New container terminal in Valparaiso", date=iso(embargo), expires=iso(expiry)))
    assert page(slug) is not None
    world.at(expiry + timedelta(minutes=5))
    assert world.state(slug) == "expired" and page(slug) is None and f"/{slug}/" not in home()
