"""The lifecycle fields as editors write them (Markdown front matter, JSON, HTML <meta>), and the pure
decisions: which state a stored revision is in, and which publication is announced."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from newsdrop.ingest.ingestor import build_article, content_hash
from newsdrop.ingest.parsing import parse_article
from newsdrop.lifecycle import should_announce
from newsdrop.models import RejectedInput, RejectReason, is_public

NOW = datetime(2027, 5, 30, 8, 0, tzinfo=UTC)
BODY = "The port authority opened the southern terminal on Monday after two years of works."


def md(**fields: object) -> bytes:
    extra = "".join(f"{k}: {v}\n" for k, v in fields.items())
    return f"---\ntitle: Terminal opens\n{extra}---\n\n{BODY}\n".encode()


def test_hugo_front_matter_draft_publishdate_expirydate_and_notify():
    draft = parse_article(
        md(draft="true", publishDate="2027-06-01T12:00:00Z", expiryDate="2027-07-01", notify="false"), "a.md"
    )
    assert draft.draft is True and draft.notify is False
    assert draft.date == datetime(2027, 6, 1, 12, tzinfo=UTC)
    assert draft.expires == datetime(2027, 7, 1, tzinfo=UTC)
    plain = parse_article(md(), "b.md")
    assert (plain.draft, plain.expires, plain.notify) == (False, None, True)


def test_json_fields_and_html_meta_expiry():
    doc = {
        "title": "Terminal opens",
        "body": BODY,
        "draft": True,
        "expires": "2027-07-01T00:00:00Z",
        "notify": False,
    }
    draft = parse_article(json.dumps(doc).encode(), "a.json")
    assert draft.draft and not draft.notify and draft.expires == datetime(2027, 7, 1, tzinfo=UTC)
    html = (
        '<html><head><meta property="article:published_time" content="2027-06-01T12:00:00Z">'
        '<meta property="article:expiration_time" content="2027-07-01T00:00:00Z"></head>'
        f"<body><article><h1>Terminal opens</h1><p>{BODY}</p></article></body></html>"
    )
    page = parse_article(html.encode(), "a.html")
    assert page.date == datetime(2027, 6, 1, 12, tzinfo=UTC)
    assert page.expires == datetime(2027, 7, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "named"),
    [({"draft": "maybe"}, "'draft'"), ({"notify": "[a, b]"}, "'notify'"), ({"expires": "soon"}, "'expires'"),
     ({"date": "2027-13-45"}, "'date'")],
)  # fmt: skip
def test_unreadable_lifecycle_fields_are_invalid_and_named(fields, named):
    with pytest.raises(RejectedInput) as info:
        parse_article(md(**fields), "a.md")
    assert info.value.reason == RejectReason.INVALID_FIELD and named in info.value.detail


def test_lifecycle_fields_left_at_their_defaults_do_not_change_the_content_hash():
    """Articles stored before the lifecycle existed keep their identity: re-uploading one is 'unchanged'."""
    plain = parse_article(md(), "a.md")
    legacy = plain.model_dump_json(exclude={"draft", "expires", "notify", "body_html"})  # as hashed before
    assert content_hash(plain) == hashlib.sha256(legacy.encode()).hexdigest()
    assert content_hash(parse_article(md(draft="true"), "a.md")) != content_hash(plain)


def stored(data: bytes, previous=None, at: datetime = NOW):
    return build_article(
        parse_article(data, "a.md"), slug="a", source_key="incoming/a.md", previous=previous, now=at
    )


def test_states_at_ingest():
    assert stored(md(draft="true", date="2027-06-01")).state == "draft"
    scheduled = stored(md(date="2027-06-01T12:00:00Z"))
    assert scheduled.state == "scheduled" and scheduled.publish_at == datetime(2027, 6, 1, 12, tzinfo=UTC)
    assert stored(md(expires="2027-05-01")).state == "expired"
    back_dated = stored(md(date="2015-03-02"))
    assert back_dated.state == "published" and back_dated.publish_at == NOW
    assert [is_public(a) for a in (scheduled, back_dated)] == [False, True]


def test_a_correction_keeps_the_moment_it_went_public():
    first = stored(md(date="2027-05-30T07:00:00Z"))
    fix = stored(md(date="2027-05-30T07:00:00Z", summary="fixed"), previous=first, at=NOW + timedelta(days=3))
    assert fix.publish_at == first.publish_at == NOW


def test_only_fresh_articles_that_allow_it_are_announced():
    max_age = timedelta(hours=48)
    assert should_announce(stored(md(date="2027-05-29T09:00:00Z")), max_age)  # 47 h old when published
    assert not should_announce(stored(md(date="2027-05-28T07:00:00Z")), max_age)  # 49 h
    assert not should_announce(stored(md(date="2015-03-02")), max_age)
    assert should_announce(stored(md()), max_age)  # no date: dated now
    assert not should_announce(stored(md(notify="false")), max_age)
    scheduled = stored(md(date="2027-06-01T12:00:00Z"))
    assert not should_announce(scheduled, max_age)  # not public yet
    assert should_announce(replace(scheduled, state="published"), max_age)
