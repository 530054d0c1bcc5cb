"""The lifecycle fields as editors write them (Markdown front matter, JSON, HTML <meta>), and the pure
decisions: which state a stored revision is in, and which publication is announced."""

from __future__ import annotations

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


# Content hashes stored by earlier versions (pydantic's model_dump_json of the draft, 2026-11-30, at
# 9da4ed2): a re-upload of the same file must still come back "unchanged", not as a new revision.
STORED_HASHES = {
    "plain.md": (
        b'---\ntitle: "Council votes on the budget"\ndate: 2025-06-01T08:00:00Z\n'
        b"tags: [Politics, Local News]\nauthor: Ana Ruiz\n---\n\nThe council voted 7-2.\n",
        "e104e5216d5f2734e6bd3c68a6063bf3aece56d55d01aeed41a2e9a18122c556",
    ),
    "unicode.md": (
        '---\ntitle: "Caf\u00e9 \u00abquoted\u00bb \u2014 \u6771\u4eac \U0001f600"\n'
        "summary: 'Tabs\tand \"quotes\" and \\\\ backslash'\ndate: 2025-06-01T08:00:00.123456+02:00\n"
        "slug: Cafe Story\n---\n\nLine one\u2028line two \u00e9\u00e8 </script>\n\nSecond paragraph.\n".encode(),
        "b746f6ff8d34044c4b52faefd31abee7993bdb0d6926a0bcd1e0ecd2ffc0c7ac",
    ),
    "life.md": (
        b"---\ntitle: Embargoed\ndate: 2027-06-01T12:00:00Z\nexpires: 2027-07-01\ndraft: yes\nnotify: false\n---\n\nBody.\n",
        "bc7d174b1bb00d83d6c50beb35cf91d39f1802a134883aeefc54ea059649d4d4",
    ),
    "page.html": (
        b'<html><head><title>A page</title><meta name="author" content="Bo"></head><body><article>'
        b"<h1>A page</h1><p>Text &amp; more</p></article></body></html>",
        "8cba9bffd73695534dc5c39b7e00b2638248597c35095231132de2e3bf5d0ab7",
    ),
    "data.json": (
        b'{"title": "JSON one", "body": "Some *text*\\u0007 with a bell", "tags": ["a", "b"], "date": "2025-01-02"}',
        "cd4fcb11445a71d71ea6401daf1ec43e3c8dcdcd35e2791d5bbc98171f23df7d",
    ),
    "note.txt": (
        b"Plain title\n\nPlain body with  spaces.\n",
        "86f67c51ee2364a7a01ca99a05deb798a22ea281183872dcfdd15465b5540d21",
    ),
}


@pytest.mark.parametrize("name", sorted(STORED_HASHES))
def test_a_file_stored_by_an_earlier_version_keeps_its_content_hash(name):
    data, stored_hash = STORED_HASHES[name]
    assert content_hash(parse_article(data, name)) == stored_hash


def test_lifecycle_fields_left_at_their_defaults_do_not_change_the_content_hash():
    """Articles stored before the lifecycle existed keep their identity (plain.md above has none of these
    fields); setting one makes it another article."""
    plain = parse_article(md(), "a.md")
    assert content_hash(parse_article(md(draft="true"), "a.md")) != content_hash(plain)
    assert content_hash(parse_article(md(notify="false"), "a.md")) != content_hash(plain)


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
