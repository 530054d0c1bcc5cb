"""Related posts, domain level (in-memory index): relevance, threshold, freshness, removal, updates,
incremental == reindex, idempotent replays."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from newsdrop.models import Article, Tag
from newsdrop.related import engine as related

_words = str.split
TOPICS = {
    "football": _words(
        "football striker goal league manager club midfielder penalty stadium referee transfer "
        "keeper defender season trophy fans"
    ),
    "budget": _words(
        "budget chancellor tax treasury deficit spending inflation economy borrowing interest rates "
        "pension growth forecast recession"
    ),
    "phones": _words(
        "smartphone handset battery screen chip android apps camera processor wireless broadband "
        "gadget software launch consumers"
    ),
    "cinema": _words(
        "film director actress oscar cinema premiere box office screenplay studio festival cast "
        "sequel blockbuster award critics"
    ),
}
FILLER = _words("the report noted that several observers expected further developments later this month")
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def make(slug: str, topic: str, seed: int, *, hours: int = 0, tags: list[str] = (), words=None) -> Article:
    rng = random.Random(seed)
    pool = words or TOPICS[topic]
    body = " ".join(rng.choice(pool) if rng.random() < 0.85 else rng.choice(FILLER) for _ in range(120))
    title = " ".join(rng.sample(pool, 4)).title()
    return Article(
        slug=slug,
        title=title,
        published=T0 + timedelta(hours=hours),
        body=body,
        body_format="text",
        excerpt=body[:80],
        word_count=120,
        reading_minutes=1,
        editor_tags=[Tag(key=t, label=t.title()) for t in tags],
        source_key=f"{slug}.md",
        content_hash=str(seed),
    )


def corpus() -> list[Article]:
    arts = []
    for i in range(24):
        topic = list(TOPICS)[i % 4]
        arts.append(make(f"{topic}-{i:02d}", topic, seed=i, hours=i))
    return arts


def ingest(arts, index=None):
    index = index or related.InMemoryRelatedIndex()
    for a in arts:
        related.update_for_article(index, a)
    return index


def topic(slug: str) -> str:
    return slug.rsplit("-", 1)[0]


def all_lists(index) -> dict[str, list]:
    return {s: [(e.slug, e.score) for e in entries] for s, entries in sorted(index.lists.items())}


def test_lists_are_relevant_and_ordered():
    index = ingest(corpus())
    for slug, entries in index.lists.items():
        assert len(entries) == related.LIST_SIZE
        assert all(topic(e.slug) == topic(slug) for e in entries), (slug, entries)
        scores = [e.score for e in entries]
        assert scores == sorted(scores, reverse=True)
        assert slug not in {e.slug for e in entries}
        assert all(e.title and e.excerpt for e in entries)


def test_unrelated_article_gets_no_filler_and_fills_nobody():
    arts = corpus()
    odd = make("knitting-99", "", seed=99, hours=99, words=_words("yarn needle wool stitch knit purl"))
    index = ingest([*arts, odd])
    assert related.related_for(index, odd.slug) == []
    assert all(odd.slug not in {e.slug for e in entries} for entries in index.lists.values())


def test_short_list_when_few_related():
    arts = [make("football-a", "football", 1), make("football-b", "football", 2, hours=1)]
    arts.append(make("cinema-c", "cinema", 3, hours=2))
    index = ingest(arts)
    assert [e.slug for e in related.related_for(index, "football-a")] == ["football-b"]
    assert related.related_for(index, "cinema-c") == []


def test_old_article_list_gains_newer_better_match():
    arts = corpus()
    index = ingest(arts)
    old = "football-00"
    before = related.related_for(index, old)
    # a near-copy of the old article arrives later: it must enter the old article's list, on top
    twin = make("football-twin", "football", seed=0, hours=500)
    twin = replace(twin, title=twin.title + " Again")
    changed = related.update_for_article(index, twin)
    after = related.related_for(index, old)
    assert old in changed
    assert after[0].slug == "football-twin"
    assert [e.slug for e in after[1:]] == [e.slug for e in before[:-1]]
    assert old in index.holders["football-twin"]


def test_remove_article_disappears_from_every_list():
    index = ingest(corpus())
    gone = "budget-01"
    holders = {s for s, entries in index.lists.items() if gone in {e.slug for e in entries}}
    assert holders
    changed = related.remove_article(index, gone)
    assert holders <= changed
    assert all(gone not in {e.slug for e in entries} for entries in index.lists.values())
    assert gone not in index.lists and gone not in index.docs
    for slug in holders:  # refilled: all 4 remaining articles of the topic, and nothing else
        assert sorted(topic(e.slug) for e in index.lists[slug]) == ["budget"] * 4
    for term, plist in index.postings.items():
        assert gone not in {p[0] for p in plist}, term
    assert related.remove_article(index, gone) == set()


def test_text_update_recomputes():
    arts = corpus()
    index = ingest(arts)
    slug = "phones-02"
    moved = make(slug, "cinema", seed=1002, hours=1000)  # same slug, now about cinema
    related.update_for_article(index, moved)
    assert all(topic(e.slug) == "cinema" for e in index.lists[slug])
    for other, entries in index.lists.items():
        if slug in {e.slug for e in entries}:
            assert topic(other) == "cinema", other
    phone_lists = [index.lists[s] for s in index.lists if topic(s) == "phones" and s != slug]
    assert all(sorted(topic(e.slug) for e in entries) == ["phones"] * 4 for entries in phone_lists)


def test_incremental_equals_reindex():
    arts = corpus()
    incremental = ingest(arts)
    rebuilt = related.InMemoryRelatedIndex()
    seen = []
    related.reindex_all(rebuilt, reversed(arts), progress=lambda i, s: seen.append(s))
    assert seen == [a.slug for a in arts]  # replayed in (published, slug) order
    assert all_lists(rebuilt) == all_lists(incremental)
    # and a reindex of a used index starts from scratch
    related.reindex_all(incremental, arts)
    assert all_lists(incremental) == all_lists(rebuilt)


def test_replay_is_idempotent():
    arts = corpus()
    index = ingest(arts)
    snapshot = (all_lists(index), dict(index.postings), {k: set(v) for k, v in index.holders.items()})
    writes = index.writes
    for a in arts:
        assert related.update_for_article(index, a) == set()
    assert index.writes == writes
    assert (all_lists(index), dict(index.postings), index.holders) == snapshot


@pytest.mark.parametrize("use_tags", [False, True])
def test_tags_add_a_bonus_only_when_used(use_tags):
    a = make("football-a", "football", 1, tags=["premier-league"])
    b = make("football-b", "football", 2, hours=1, tags=["premier-league"])
    index = related.InMemoryRelatedIndex()
    for art in (a, b):
        related.update_for_article(index, art, use_tags=use_tags)
    plain = related.InMemoryRelatedIndex()
    for art in (replace(a, editor_tags=[]), replace(b, editor_tags=[])):
        related.update_for_article(plain, art)
    with_tags, without = index.lists["football-b"][0].score, plain.lists["football-b"][0].score
    assert (with_tags > without) is use_tags


def test_features_are_light_and_deterministic():
    assert related.stem("transfers") == "transfer"
    assert related.stem("running") == "run"
    assert related.stem("policies") == "policy"
    assert related.tokens("The Chancellor's budgets, and 2005") == ["chancellor", "budget"]
    tf = related.term_frequencies("Budget row", "budget talks")
    assert tf["budget"] == 1 + related.TITLE_WEIGHT
    assert "budget_row" in tf and "budget_talk" in tf


def test_stats_fold_counts_each_article_once():
    arts = corpus()
    index = ingest(arts)
    stats = related.current_stats(index)
    pending = sum(d.sign for d in index.deltas.values())
    assert stats.n_docs + pending == len(arts)
    related.remove_article(index, arts[0].slug)
    stats = related.current_stats(index)
    assert stats.n_docs + sum(d.sign for d in index.deltas.values()) == len(arts) - 1


def test_expanded_vector_is_stored_compact_and_used_by_both_sides():
    arts = corpus()
    index = ingest(arts)
    first, later = index.docs[arts[0].slug], [index.docs[a.slug] for a in arts[1:]]
    assert first.ex == {}  # nothing to expand with yet: its plain vector stands in
    expanded = [doc for doc in later if doc.ex]
    assert len(expanded) >= len(later) - len(TOPICS)  # only a topic's first article has no neighbours
    for doc in expanded:
        assert len(doc.ex) <= related.EXPAND_TERMS
        assert abs(sum(w * w for w in doc.ex.values()) - 1.0) < 1e-3
    # the expanded part of a pair's score reads both stored vectors: the same from either side
    a, b = expanded[0], expanded[1]
    assert related._dot(a.ex, b.ex) == related._dot(b.ex, a.ex)


def test_only_events_applied_in_publication_order_leave_the_index_canonical():
    arts = corpus()
    index = ingest(arts)
    assert not index.dirty  # every article newer than the last: exactly what a reindex replays
    for a in arts:
        related.update_for_article(index, a)  # a redelivered batch changes nothing
    assert not index.dirty

    late = make("budget-late", "budget", seed=77, hours=-5)  # a back-dated file, or a redriven event
    related.update_for_article(index, late)
    assert index.dirty
    assert any("budget-late" in {e.slug for e in entries} for entries in index.lists.values())  # at once

    for change in (
        lambda ix: related.update_for_article(ix, make("cinema-01", "cinema", seed=501, hours=1)),
        lambda ix: related.remove_article(ix, "football-00"),
    ):
        clean = ingest(arts)
        change(clean)
        assert clean.dirty


def test_order_key_sorts_by_utc_time_then_slug():
    key = related.order_key
    assert key("2025-01-01T10:00:00+02:00", "b") < key("2025-01-01T09:00:00+00:00", "a")
    assert key("2025-01-01T09:00:00", "a") == key("2025-01-01T09:00:00+00:00", "a")  # naive is UTC
    assert key("2025-01-01T09:00:00+00:00", "a") < key("2025-01-01T09:00:00+00:00", "a-b")
    assert key("not a date", "a") > key("2999-01-01T00:00:00+00:00", "z")


# --- relevance wiring --------------------------------------------------------------------------------
def test_reply_prefixes_and_forum_chatter_do_not_make_posts_related():
    """Forum posts all start "Re:" and end "thanks, anyone know?": those words are no evidence."""
    chatter = _words("re thanks anyone know please writes wrote article posted question")
    arts = []
    for i in range(12):
        name = list(TOPICS)[i % 4]
        art = make(f"{name}-{i:02d}", name, seed=100 + i, hours=i)
        body = art.body + " " + " ".join(random.Random(i).choice(chatter) for _ in range(60))
        arts.append(replace(art, title="Re: " + art.title, body=body))
    index = ingest(arts)
    for slug, entries in index.lists.items():
        assert entries and all(topic(e.slug) == topic(slug) for e in entries), (slug, entries)
    assert not {"re", "thank", "anyone", "writ"} & set(
        related.term_frequencies("Re: thanks anyone", "writes")
    )


def test_expansion_only_reorders_pairs_that_share_text():
    """Two posts whose neighbourhoods look alike but which share almost no text of their own
    ("Dayton Hamfest" and "The Dayton Gun 'Buy Back'") must not outrank a post that shares real text."""
    x = related.DocRecord("x", "x", "", "2024-03-01T00:00:00+00:00", [], {}, [], "f")
    y = related.DocRecord("y", "y", "", "2024-03-01T00:00:00+00:00", [], {}, [], "f")
    drifted = related.pair_score(x, y, plain=related.MIN_SCORE + 0.002, expanded=0.73, tag_bonus=0.0)
    thread = related.pair_score(x, y, plain=0.29, expanded=0.35, tag_bonus=0.0)
    assert thread > drifted
    # and among pairs that do share text, expansion still counts
    assert related.pair_score(x, y, plain=0.3, expanded=0.8, tag_bonus=0.0) > related.pair_score(
        x, y, plain=0.3, expanded=0.2, tag_bonus=0.0
    )


def thread_posts() -> list[Article]:
    """Football posts, then a thread: a post and its reply; one other post shares more of the reply's
    words than the thread's first post does."""
    arts = [make(f"football-{i:02d}", "football", seed=300 + i, hours=i) for i in range(7)]
    original = make("football-thread", "football", seed=400, hours=8)
    reply = make("football-reply", "football", seed=401, hours=9)
    other = make("football-rival", "football", seed=402, hours=7)
    shared = int(0.6 * len(reply.body.split()))
    rival = " ".join(reply.body.split()[:shared] + other.body.split()[shared:])
    title = "Northfield Harbour derby tickets"
    return [
        *arts,
        replace(other, body=rival),
        replace(original, title=title),
        replace(reply, title=f"Re: {title}"),
    ]


@pytest.mark.parametrize("title_bonus", [0.0, related.TITLE_BONUS])
def test_a_reply_lists_its_thread_first(monkeypatch, title_bonus):
    """Forum replies carry their thread's title ("Re: <title>"): among posts that read alike, the post it
    answers comes first, though another post reads closer (without the bonus, that one is first)."""
    monkeypatch.setattr(related, "TITLE_BONUS", title_bonus)
    # the title bonus alone: the sentence embedding also reads the shared title, and would hide its effect
    monkeypatch.setattr(related, "SEMANTIC_WEIGHT", 0.0)
    index = ingest(thread_posts())
    first = related.related_for(index, "football-reply")[0].slug
    assert (first == "football-thread") is (title_bonus > 0)
    if title_bonus:
        assert "football-reply" in {e.slug for e in related.related_for(index, "football-thread")}


def test_headlines_sharing_a_word_are_not_a_thread():
    arts = corpus()
    index = ingest(arts)
    stats = related.current_stats(index)

    def doc(slug: str, title: str) -> related.DocRecord:
        return related.DocRecord(slug, title, "", "2024-03-01T00:00:00+00:00", [], {}, [], "f")

    original = doc("a", "Chancellor budget leak inquiry")
    assert related._title_bonus(
        doc("b", "Re: Chancellor budget leak inquiry"), original, stats
    ) == pytest.approx(related.TITLE_BONUS)
    assert related._title_bonus(doc("c", "Striker joins in budget transfer"), original, stats) == 0.0
    assert related._title_bonus(doc("d", "Premiere night for new film"), original, stats) == 0.0


def subject_corpus(n: int = 48) -> list[Article]:
    """Articles of the four subjects, each drawing on its subject's whole vocabulary, so that a
    subject's words are seen together."""
    return [
        make(f"{list(TOPICS)[i % 4]}-{i:02d}", list(TOPICS)[i % 4], seed=500 + i, hours=i) for i in range(n)
    ]


def different_words_posts() -> list[Article]:
    """A football article in one half of football's words; a second football article in the other
    half; a cinema article. Both candidates share with the first only where it happened, the cinema
    one a little more of it."""
    football, cinema = TOPICS["football"], TOPICS["cinema"]
    phrasing = "in Northfield Harbour"
    first = make("query-football", "football", 601, hours=100, words=football[:8])
    same = make("same-subject", "football", 602, hours=101, words=football[8:])
    other = make("other-subject", "cinema", 603, hours=102, words=cinema[:8])
    return [
        replace(first, body=f"{first.body} {phrasing} {phrasing}"),
        replace(same, body=f"{same.body} {phrasing} {phrasing}"),
        replace(other, body=f"{other.body} {phrasing} {phrasing} {phrasing}"),
    ]


@pytest.mark.parametrize("topic_weight", [0.0, related.TOPIC_WEIGHT])
def test_an_article_on_the_same_subject_in_other_words_comes_first(monkeypatch, topic_weight):
    """Once the topic model is fitted, an article about the same subject in other words ranks above one
    about another subject that shares as little text (without the topics, the other subject is first).
    Query expansion and the sentence embedding, which also bring subjects together, are off: this is the
    topics alone."""
    monkeypatch.setattr(related, "EXPAND_MIX", 0.0)
    monkeypatch.setattr(related, "SEMANTIC_WEIGHT", 0.0)
    monkeypatch.setattr(related, "TOPIC_FIRST_FIT", 40)
    monkeypatch.setattr(related, "TOPIC_WEIGHT", topic_weight)
    index = ingest([*subject_corpus(), *different_words_posts()])
    assert bool(related.current_stats(index).topics) is (topic_weight > 0)
    stats = related.current_stats(index)
    query = index.docs["query-football"]
    candidates = {s: index.docs[s] for s in ("same-subject", "other-subject")}
    scores = related._score_candidates(query, stats.vector(query), candidates, stats)
    assert set(scores) == set(candidates)  # both pass the text gate (they share the place)
    assert (scores["same-subject"] > scores["other-subject"]) is (topic_weight > 0)


def test_topic_model_is_deterministic_and_places_subjects_apart(monkeypatch):
    monkeypatch.setattr(related, "TOPIC_FIRST_FIT", 40)
    arts = subject_corpus(64)
    incremental = ingest(arts)
    rebuilt = related.InMemoryRelatedIndex()
    related.reindex_all(rebuilt, reversed(arts))
    stats = related.current_stats(incremental)
    assert stats.topics and stats.topics_fit >= 40
    assert stats == related.current_stats(rebuilt)  # a reindex fits the same model at the same point
    assert all_lists(rebuilt) == all_lists(incremental)
    # the projected documents: every article is closer to its own subject's than to any other's
    vec = {d.slug: stats.topic_vector(d) for d in incremental.docs.values()}

    def cos(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    for slug, v in vec.items():
        same = [cos(v, w) for s, w in vec.items() if s != slug and topic(s) == topic(slug)]
        other = [cos(v, w) for s, w in vec.items() if topic(s) != topic(slug)]
        assert min(same) > max(other)


def test_topic_model_is_refitted_as_the_corpus_grows(monkeypatch):
    monkeypatch.setattr(related, "TOPIC_FIRST_FIT", 40)
    monkeypatch.setattr(related, "TOPIC_FIT_DOCS", 50)
    index = related.InMemoryRelatedIndex()
    fits = set()
    for a in subject_corpus(120):
        related.update_for_article(index, a)
        fits.add(related.current_stats(index).topics_fit)
    stats = related.current_stats(index)
    assert sorted(fits - {0})[0] >= 40 and len(fits - {0}) >= 2  # first fit, then a refit at twice the size
    assert len(stats.recent) == 50  # the fit reads a bounded number of articles: the latest folded in
    assert "football-00" not in stats.recent


def test_a_refit_rescores_the_lists_of_the_articles_it_read(monkeypatch):
    """Subjects arriving one block after another (an archive imported section by section): right after
    each refit, every list of the articles the model was fitted on is scored with that model, so an
    entry that came in under an earlier model, which had never seen its subject, is judged again."""
    monkeypatch.setattr(related, "TOPIC_FIRST_FIT", 30)
    arts = sorted(subject_corpus(96), key=lambda a: (topic(a.slug), a.slug))
    index = related.InMemoryRelatedIndex()
    refits = 0
    for a in arts:
        fitted = related.current_stats(index).topics_id
        related.update_for_article(index, a)
        stats = related.current_stats(index)
        if stats.topics_id == fitted:
            continue
        refits += 1
        for slug in stats.recent:
            doc = index.docs[slug]
            query = replace(doc, ex=doc.ex or related.weigh(doc.tf, stats))
            for entry in index.lists.get(slug, []):
                candidate = {entry.slug: index.docs[entry.slug]}
                score = related._score_candidates(query, stats.vector(doc), candidate, stats)[entry.slug]
                assert entry.score == score, (slug, entry.slug)
    assert refits >= 2
    held = {(owner, e.slug) for owner, entries in index.lists.items() for e in entries}
    assert held == {(owner, slug) for slug, owners in index.holders.items() for owner in owners}


def test_a_full_postings_list_the_article_does_not_enter_is_not_rewritten(monkeypatch):
    # Cost: on a large corpus some of an article's terms already have full postings lists that it does
    # not make (2.2 of its 20 at 10,000 synthetic articles); rewriting them unchanged wastes a write each.
    from newsdrop.related import semantic

    monkeypatch.setattr(related, "POSTINGS_CAP", 3)
    monkeypatch.setattr(semantic, "BUCKET_CAP", 3)  # the embedding's buckets, capped on their own
    index = ingest(corpus())
    before = {t: list(p) for t, p in index.postings.items()}
    written: list[str] = []
    put = index.put_postings
    monkeypatch.setattr(index, "put_postings", lambda postings: (written.extend(postings), put(postings)))

    new = make("football-99", "football", seed=99, hours=99)
    related.update_for_article(index, new)

    posted = index.docs[new.slug].posted
    entered = {t for t in posted if any(p[0] == new.slug for p in index.postings.get(t, []))}
    left_out = set(posted) - entered
    assert entered and left_out
    assert set(written) == entered
    assert all(index.postings[t] == before[t] for t in left_out)
    assert all(len(index.postings[t]) <= 3 for t in entered)
