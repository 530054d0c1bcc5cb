"""Property tests: whatever lands in the drop bucket, parse_article returns a valid draft or rejects it."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdrop.ingest.parsing import ArticleDraft, parse_article
from newsdrop.models import RejectedInput, RejectReason

EXTENSIONS = [
    "a.md",
    "a.markdown",
    "a.json",
    "a.html",
    "a.htm",
    "a.txt",
    "a",
    "a.bin",
    "a.docx",
    "A.MD",
    ".md",
]
filenames = st.one_of(st.sampled_from(EXTENSIONS), st.text(max_size=40))
FORBIDDEN = re.compile(
    r"<\s*(script|iframe|object|embed|style|svg|form)"
    r"|(href|src)=\"\s*(?!https?:|mailto:|tel:|sms:|data:image/(?:png|jpeg|gif|webp))[a-z][a-z0-9+.-]*:"
    r"|<[^>]*\son\w+=",
    re.I,
)


def check(data: bytes, filename: str) -> ArticleDraft | None:
    try:
        draft = parse_article(data, filename)
    except RejectedInput as error:
        assert isinstance(error.reason, RejectReason)
        assert error.detail.strip()
        return None
    assert isinstance(draft, ArticleDraft)
    assert draft.title.strip() and draft.body.strip()
    assert "\r" not in draft.body and "\x00" not in draft.body
    assert not FORBIDDEN.search(draft.body_html)
    return draft


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), filenames)
def test_arbitrary_bytes_never_crash(data, filename):
    check(data, filename)


markup_alphabet = st.sampled_from(
    list("<>/=\"'!-?&#;:{}[],\n\t ")
    + [
        "<p>",
        "</p>",
        "<a href=",
        "javascript:",
        "<script>",
        "</script>",
        "<!--",
        "-->",
        "<img",
        " onerror=",
        "<article>",
        "<h1>",
        "</h1>",
        "title",
        "body",
        "---",
        "```",
        "`",
        "[x](",
        ")",
        "\u00e9",
        "\u201c",
        "&amp;",
        "<![CDATA[",
        "<svg",
        "<style>",
    ]
)
markup = st.lists(markup_alphabet, max_size=80).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(markup, st.sampled_from(["a.html", "a.md", "a.json", "a.txt", "a"]))
def test_markup_soup_never_crashes_or_leaks_script(text, filename):
    check(text.encode(), filename)
    check(("<h1>T</h1>" + text + "<p>Body</p>").encode(), "a.html")
    draft = check(("---\ntitle: T\n---\nBody " + text).encode(), "a.md")
    assert draft is not None
    assert "<script" not in draft.body_html.lower()


yaml_scalars = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "~",
            "null",
            "yes",
            "No",
            "2024-02-30",
            "12:30",
            "1e400",
            "&a x",
            "*a",
            "!!binary AA==",
            "!!python/object:os.system",
            "[a, [b, [c]]]",
            "{a: {b: c}}",
            "'quoted'",
            '"x\\"y"',
            "- a",
        ]
    ),
)
yaml_keys = st.sampled_from(["title", "author", "date", "tags", "slug", "summary", "Title", "? x", "<<"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(yaml_keys, yaml_scalars), max_size=8), st.text(max_size=200))
def test_generated_front_matter_never_crashes(fields, body):
    lines = [f"{key}: {value}" for key, value in fields]
    check(("---\n" + "\n".join(lines) + "\n---\n" + body).encode(), "a.md")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "title",
                "body",
                "content",
                "author",
                "date",
                "tags",
                "slug",
                "summary",
                "format",
                "headline",
                "x",
            ]
        ),
        json_values,
        max_size=8,
    )
)
def test_generated_json_never_crashes(doc):
    check(json.dumps(doc).encode(), "a.json")


@settings(max_examples=200)
@given(st.text(alphabet='{}[]":,0123456789abtrue \n\\', max_size=300))
def test_json_ish_text_never_crashes(text):
    check(text.encode(), "a.json")


@given(st.text(min_size=1, max_size=60).filter(lambda t: t.strip()), st.text(min_size=1, max_size=300))
def test_valid_json_articles_round_trip_title(title, body):
    doc = {"title": title, "body": body, "format": "text", "author": title}
    draft = check(json.dumps(doc).encode(), "a.json")
    if draft is not None:
        assert draft.title == draft.title.strip()
        assert not any(unicodedata.category(ch) == "Cc" for ch in draft.title)
        json.dumps(asdict(draft), default=str, ensure_ascii=False).encode(
            "utf-8"
        )  # storable: no lone surrogates
        if title.isprintable() and "<" not in title and not re.search("[\ud800-\udfff]", title):
            assert draft.title == unicodedata.normalize("NFC", " ".join(title.split()))
