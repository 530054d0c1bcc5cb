"""Markdown with YAML front matter, as Hugo and Jekyll write it; without a title there, the first heading."""

from __future__ import annotations

import re
from typing import Any

from newsdrop.ingest.article_model import Source, describe, editor_keys, field_value, one_line, read_article
from newsdrop.ingest.draft import ArticleDraft
from newsdrop.ingest.readers import MAX_NESTING
from newsdrop.models import RejectedInput, RejectReason
from newsdrop.pyyaml import yaml  # PyYAML, with its import made cheaper (see there)

MAX_FRONT_MATTER_CHARS = 64 * 1024


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases (billion-laughs), limits nesting, and keeps scalars as text.

    Only null and true/false are resolved; dates, numbers and YAML 1.1 yes/no stay strings, so "title: No"
    and "date: 2024-02-30" reach the article model instead of surprising conversions or crashes.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _TooComplex("it uses YAML aliases (*name), which Newsdrop does not accept")
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise _TooComplex("it uses YAML anchors (&name), which Newsdrop does not accept")
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise _TooComplex(f"it is nested more than {MAX_NESTING} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_FrontMatterLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_FrontMatterLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _TooComplex(Exception):
    pass


_FRONT_MATTER_OPEN = re.compile(r"\A\s*---[ \t]*\n")
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_ATX_H1 = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*(?:\n|\Z)")
_SETEXT_H1 = re.compile(r"\A\s*([^\n]+)\n=+[ \t]*(?:\n|\Z)")

MD_TITLE_HINT = (
    "Start the file with front matter such as:\n---\ntitle: Your headline\nauthor: Your name\n---\n"
    "or make the first line a heading: # Your headline"
)


def read_markdown(text: str) -> ArticleDraft:
    fields: dict[Any, Any] = {}
    body = text
    opening = _FRONT_MATTER_OPEN.match(text)
    if opening:
        closing = _FRONT_MATTER_CLOSE.search(text, opening.end())
        if closing is None:
            raise RejectedInput(
                RejectReason.BAD_FRONT_MATTER,
                "The front matter starts with '---' but never ends: add a line with just '---' after the "
                "last field (title, author, date, tags...).",
            )
        raw = text[opening.end() : closing.start()]
        body = text[closing.end() :]
        fields = _load_front_matter(raw)
    body = body.strip("\n")
    title = field_value(fields, "title")
    if not title:
        heading = _ATX_H1.match(body) or _SETEXT_H1.match(body)
        if heading:
            fields = {**editor_keys(fields), "title": heading.group(1)}  # over an empty title or headline
            body = body[heading.end() :]
    else:
        heading = _ATX_H1.match(body)
        if heading and one_line(heading.group(1)) == one_line(str(title)):
            body = body[heading.end() :]  # the same headline repeated as the first line
    source = Source(MD_TITLE_HINT, body=body.strip("\n"), body_format="markdown")
    return read_article(fields, source)


def _load_front_matter(raw: str) -> dict[Any, Any]:
    if len(raw) > MAX_FRONT_MATTER_CHARS:
        raise RejectedInput(
            RejectReason.TOO_COMPLEX,
            f"The front matter is {len(raw):,} characters; the limit is {MAX_FRONT_MATTER_CHARS:,}. "
            "Keep it to the article's fields and put the story below the closing '---'.",
        )
    loader: _FrontMatterLoader | None = None
    try:
        loader = _FrontMatterLoader(raw)
        data = loader.get_single_data()
    except _TooComplex as exc:
        raise RejectedInput(RejectReason.TOO_COMPLEX, f"The front matter is too complex: {exc}.") from None
    except yaml.MarkedYAMLError as exc:
        where = f" on line {exc.problem_mark.line + 2}" if exc.problem_mark else ""
        raise RejectedInput(
            RejectReason.BAD_FRONT_MATTER,
            f"The front matter is not valid YAML{where}: {exc.problem or exc.context}. Check for a missing "
            "colon, a stray quote or bad indentation; quote titles that contain a colon.",
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise RejectedInput(
            RejectReason.BAD_FRONT_MATTER, f"The front matter is not valid YAML ({type(exc).__name__})."
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RejectedInput(
            RejectReason.BAD_FRONT_MATTER,
            "The front matter must be 'field: value' lines (title: ..., author: ...), "
            f"but it is {describe(data) if not isinstance(data, str) else 'a single line of text'}.",
        )
    return data
