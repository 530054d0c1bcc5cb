"""Plain text: the first line is the headline, a "By Name" line under it the author, the rest the story."""

from __future__ import annotations

import re

from newsdrop.ingest.article_model import Source, read_article
from newsdrop.ingest.draft import ArticleDraft

_TEXT_BYLINE = re.compile(r"^(?:By|BY|Author:)\s+((?:[A-Z][\w.'\u2019-]*\s*){1,5})$")
TEXT_TITLE_HINT = "In a .txt file the first line is the headline and the story follows it."


def read_text(text: str) -> ArticleDraft:
    lines = text.strip("\n").split("\n")
    index = next((i for i, line in enumerate(lines) if line.strip()), 0)
    title = lines[index].strip().lstrip("#").strip() if lines else ""
    rest = lines[index + 1 :]
    author = None
    first = next((i for i, line in enumerate(rest) if line.strip()), None)
    if first is not None:
        m = _TEXT_BYLINE.match(rest[first].strip())
        if m:
            author = m.group(1).strip()
            rest = rest[first + 1 :]
    body = "\n".join(line.rstrip() for line in rest).strip("\n")
    source = Source(TEXT_TITLE_HINT, body=body, body_format="text", title_is_first_line=True)
    return read_article({"title": title, "author": author}, source)
