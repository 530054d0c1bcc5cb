"""A saved HTML page: only its article survives; the fields come from its headline, byline and <meta>."""

from __future__ import annotations

from newsdrop.ingest import body as bodies
from newsdrop.ingest.article_model import Source, read_article
from newsdrop.ingest.draft import ArticleDraft
from newsdrop.ingest.rendering import MAX_BODY_BYTES, MAX_HTML_ELEMENTS, body_too_large, refuse_too_many_tags
from newsdrop.models import RejectedInput, RejectReason

HTML_TITLE_HINT = "Give the page an <h1> headline (or a <title>) for the article."


def read_html(text: str) -> ArticleDraft:
    if len(text.encode("utf-8", "replace")) > MAX_BODY_BYTES:
        raise RejectedInput(RejectReason.TOO_LARGE, body_too_large(len(text.encode("utf-8", "replace"))))
    refuse_too_many_tags(text)
    from newsdrop.ingest.html_article import parse_page  # with the first HTML file only (see there)

    page = parse_page(text, MAX_HTML_ELEMENTS)
    if page.elements > MAX_HTML_ELEMENTS:
        raise RejectedInput(
            RejectReason.TOO_COMPLEX,
            f"The HTML has {page.elements:,} elements, more than {MAX_HTML_ELEMENTS:,}. Export just the "
            "article, not a whole site page or feed.",
        )
    fields = {
        "title": page.title,
        "author": page.author,
        "date": page.published,
        "tags": page.tags,
        "summary": page.summary,
        "expires": page.expires,
    }
    # The page as dropped is the editor's source; readers get only its article, sanitized.
    source = Source(
        HTML_TITLE_HINT, body=text, body_format="html", body_html=bodies.sanitize(page.article_html)
    )
    return read_article(fields, source)
