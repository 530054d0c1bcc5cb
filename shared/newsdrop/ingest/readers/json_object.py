"""A JSON object: its keys are the article's fields, its body one of them (the article model's)."""

from __future__ import annotations

import json
import re

from newsdrop.ingest.article_model import describe, read_article
from newsdrop.ingest.draft import ArticleDraft
from newsdrop.ingest.readers import MAX_NESTING
from newsdrop.models import RejectedInput, RejectReason

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


def _json_depth_exceeds(text: str, limit: int) -> bool:
    """True if brackets (outside strings) nest deeper than ``limit``; no recursion, stops early."""
    depth = 0
    for m in _JSON_BRACKETS.finditer(_JSON_STRING.sub("", text)):
        if m.group(0) in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def read_json(text: str) -> ArticleDraft:
    if _json_depth_exceeds(text, MAX_NESTING):
        raise RejectedInput(
            RejectReason.TOO_COMPLEX, f"The JSON is nested more than {MAX_NESTING} levels deep; an article "
            "needs only a flat object of fields."
        )  # fmt: skip
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RejectedInput(
            RejectReason.BAD_JSON,
            f"The JSON is not valid at line {exc.lineno}, column {exc.colno}: {exc.msg}. "
            "Check for a missing comma or quote.",
        ) from None
    except RecursionError:
        raise RejectedInput(RejectReason.TOO_COMPLEX, "The JSON is nested too deeply.") from None
    except ValueError as exc:  # e.g. integers with more than 4300 digits
        raise RejectedInput(RejectReason.BAD_JSON, f"The JSON cannot be read: {exc}.") from None
    if not isinstance(data, dict):
        raise RejectedInput(
            RejectReason.BAD_JSON,
            f'The JSON must be one object like {{"title": ..., "body": ...}}, but it is {describe(data)}.',
        )
    return read_article(data)  # a JSON object holds its body too: the model's default source
