"""slugify, the text of a body, make_excerpt, word_count, reading_minutes, and the reader's HTML."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdrop.ingest.body import ALLOWED_TAGS, sanitize
from newsdrop.ingest.parsing import reader_html
from newsdrop.ingest.text import html_text, make_excerpt, reading_minutes, slugify, word_count


def plain_text(body: str, body_format: str) -> str:
    """What ingest counts and excerpts: the text of the reader's HTML."""
    return html_text(reader_html(body, body_format))


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Venezuela sets election date", "venezuela-sets-election-date"),
        ("Café économie: les prix montent!", "cafe-economie-les-prix-montent"),
        ("Straße in Köln gesperrt", "strasse-in-koln-gesperrt"),
        ("Ørsted & Łódź deal", "orsted-and-lodz-deal"),
        ("Don't panic — it’s only 4.5%", "dont-panic-its-only-4-5"),
        ("Москва и Киев", "moskva-i-kiev"),
        ("  --Hello__World--  ", "hello-world"),
        ("東京", "article"),
        ("!!!", "article"),
        ("", "article"),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_slugify_cuts_long_titles_at_a_hyphen():
    slug = slugify("Central bank holds rates " * 10)
    assert len(slug) <= 80
    assert not slug.endswith("-")
    assert "central-bank-holds-rates-" in slug
    assert slug.split("-")[-1] in {"central", "bank", "holds", "rates"}
    assert len(slugify("x" * 200)) == 80  # one giant word: cut hard rather than return nothing


@given(st.text())
def test_slugify_is_always_a_safe_nonempty_slug(title):
    slug = slugify(title)
    assert slug and len(slug) <= 80
    assert all(ch in "abcdefghijklmnopqrstuvwxyz0123456789-" for ch in slug)
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug


def test_plain_text_markdown():
    md = (
        "## Heading\n\nSome **bold** and _italic_ text with a [link](https://x.example) and "
        "![a photo](https://x.example/a.png).\n\n> A quote\n\n- one\n- two\n\n1. first\n\n`code` here, "
        "snake_case_name stays. <b>tag</b> gone &amp; decoded.\n\n```\nfenced\n```\n"
    )
    text = plain_text(md, "markdown")
    assert "Heading" in text and "##" not in text
    assert "Some bold and italic text with a link and ." in text  # an image is not words
    assert "A quote" in text and ">" not in text
    assert "one\n\ntwo" in text and "first" in text
    assert "code here, snake_case_name stays. tag gone & decoded." in text
    assert "fenced" in text and "```" not in text
    assert "https://" not in text


def test_plain_text_html_and_text():
    html = "<h2>Sub</h2><p>One &amp; two.</p><script>x()</script><ul><li>a</li><li>b</li></ul>"
    assert plain_text(html, "html") == "Sub\n\nOne & two.\n\na\nb"
    assert plain_text("Line  one\r\n\r\n\r\n\r\nLine two", "text") == "Line one\n\nLine two"


def test_excerpt_cuts_at_a_word_boundary_with_ellipsis():
    text = "The central bank held its main interest rate at 4.5% on Thursday, saying inflation was " * 3
    excerpt = make_excerpt(text)
    assert len(excerpt) <= 160
    assert excerpt.endswith("…")
    assert text.startswith(excerpt[:-1])
    assert text[len(excerpt) - 1] in " ,."  # the cut fell between words


def test_excerpt_short_text_is_unchanged_but_whitespace_collapsed():
    assert make_excerpt("  Short\n\n text.  ") == "Short text."


def test_excerpt_drops_trailing_punctuation_before_ellipsis():
    text = "word, " * 40
    assert make_excerpt(text, 30) == "word, word, word, word, word…"


words = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=30)


@given(st.lists(words, min_size=1, max_size=80), st.integers(min_value=10, max_value=200))
def test_excerpt_never_cuts_mid_word(word_list, limit):
    text = " ".join(word_list)
    excerpt = make_excerpt(text, limit)
    assert len(excerpt) <= max(limit, 2)
    if not excerpt.endswith("…"):
        assert excerpt == text
        return
    kept = excerpt[:-1].split(" ")
    if len(word_list[0]) >= limit:  # a single over-long first word is the one allowed hard cut
        return
    assert kept == word_list[: len(kept)]


def test_word_count_and_reading_minutes():
    assert word_count("Don't stop: U.S. growth hit 1.5bn — e-mail me!") == 8
    assert word_count("") == 0
    assert reading_minutes(0) == 1
    assert reading_minutes(230) == 1
    assert reading_minutes(460) == 2
    assert reading_minutes(1000) == 4


def test_sanitize_is_idempotent_on_examples():
    html = '<h1>T</h1><p>a <a href="https://x.example/?a=1&b=2">l</a></p><ul><li>x<li>y</ul><pre> a\n b</pre>'
    once = sanitize(html)
    assert sanitize(once) == once
    assert "<li>x</li><li>y</li>" in once and "<pre> a\n b</pre>" in once


@given(
    st.text(alphabet="<>/=\"' abcipstrkhfe:onjv&#;x!-\n`[]()*", max_size=200),
    st.sampled_from(["markdown", "html", "text"]),
)
def test_reader_html_has_only_allowed_tags_and_no_script(markup, body_format):
    import re

    out = reader_html(markup, body_format)
    for tag in re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", out):
        assert tag.lower() in ALLOWED_TAGS
    for attribute in re.findall(r"\s([a-zA-Z-]+)=\"", out):
        assert not attribute.lower().startswith("on")
    assert "javascript:" not in out.lower().replace("&lt;", "<")
    assert sanitize(out) == out


def test_html_text_drops_what_the_sanitizer_removed_and_decodes_entities():
    assert html_text(sanitize("<p>A &lt;b&gt; &eacute;</p><script>x</script><style>y</style>")) == "A <b> é"


def test_text_bodies_are_escaped_into_paragraphs():
    assert reader_html("A <script>x()</script> & b\nline two\n\nNext", "text") == (
        "<p>A &lt;script&gt;x()&lt;/script&gt; &amp; b<br>\nline two</p>\n<p>Next</p>"
    )
