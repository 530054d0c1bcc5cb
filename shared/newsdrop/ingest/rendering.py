"""A body's reader's HTML, and the limits that refuse, before any rendering, what could never be stored or
would take too long to render."""

from __future__ import annotations

import re

from newsdrop.ingest import body as bodies
from newsdrop.ingest.text import html_text
from newsdrop.models import BodyFormat, RejectedInput, RejectReason

# A real article page has a few thousand elements. HTML5 tree building (lexbor's, and html5ever's in nh3)
# walks the stack of open elements for each new block, so unclosed nesting costs depth x elements: 78,000
# nested <div>s (384 KB) took ~90 s here. Tags are counted before any parsing, and 20,000 keeps the worst
# nesting to a few seconds (bench/hostile_input.py).
MAX_HTML_ELEMENTS = 20_000
_START_TAG = re.compile(r"<[A-Za-z]")
# The body as written plus its reader's HTML must fit one DynamoDB item (400 KB); the item's size is
# checked exactly before the write (newsdrop.ingest.store.item_size), this only refuses early what can
# never fit, before any rendering.
MAX_BODY_BYTES = 390 * 1024
# Markdown renders to at least about its own size in HTML, so more than half an item cannot be stored;
# refusing it before rendering also bounds markdown-it's worst inputs (a paragraph of "![" costs ~50 us a
# byte, linear): 200 KB renders in ~10 s at worst on a loaded 2-core machine, far from the 60 s timeout.
MAX_MARKDOWN_BYTES = 200 * 1024


def reader_html(source: str, body_format: BodyFormat) -> str:
    """The reader's HTML of a body, from the editor's source: rendered, then sanitized (never the source
    itself: Markdown is not edited as text)."""
    size = len(source.encode("utf-8", "replace"))
    limit = MAX_MARKDOWN_BYTES if body_format == "markdown" else MAX_BODY_BYTES
    if size > limit:
        # It could not be stored (a DynamoDB item holds 400 KB), so it is not worth rendering either.
        raise RejectedInput(RejectReason.TOO_LARGE, body_too_large(size, limit))
    if body_format != "text":
        refuse_too_many_tags(source)
    if body_format == "markdown":
        return bodies.markdown_html(source)
    if body_format == "html":
        return bodies.sanitize(source)
    return bodies.text_html(source)


def refuse_too_many_tags(source: str) -> None:
    tags = sum(1 for _ in _START_TAG.finditer(source))
    if tags > MAX_HTML_ELEMENTS:
        raise RejectedInput(
            RejectReason.TOO_COMPLEX,
            f"The HTML has {tags:,} tags, more than {MAX_HTML_ELEMENTS:,}. Export just the article, not a "
            "whole site page or feed.",
        )


def body_too_large(size: int, limit: int = MAX_BODY_BYTES) -> str:
    return (
        f"The article body is {size:,} bytes; the limit is {limit:,}: an article is stored in one database "
        "item (400 KB) together with its reader's HTML. Split the story, or move tables and embedded images "
        "out of it."
    )


def has_text(body_html: str) -> bool:
    return any(ch.isalnum() for ch in html_text(body_html))
