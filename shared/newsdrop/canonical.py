"""Two forms every stage shares: a tag's key, and the compact JSON of what we store, queue or hash. Their
own module so that the notification functions, which key topics and queue messages but read no article,
do not import the stored records (``newsdrop.models``, which re-exports both) on a cold start."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

_KEY_WORDS = re.compile(r"[^\W_]+")


def tag_key(label: str) -> str:
    """Identity of a tag: "Global News", "global  news", "#global-news" and "Global_News" -> "global-news".

    Accents are folded (Café == Cafe); letters of other scripts are kept as they are. It lives here, not
    with the tagger, because subscribers' topics are keyed the same way and the notification functions
    should not import the tagger's gazetteer on a cold start.
    """
    folded = unicodedata.normalize("NFKD", label.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return "-".join(_KEY_WORDS.findall(folded))


def compact_json(data: Any) -> str:
    """The JSON of every record we store, queue or hash: no spaces, UTF-8 kept. It is the form pydantic
    wrote (items, site documents, queue messages, content hashes), so earlier ones read and hash the same."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
