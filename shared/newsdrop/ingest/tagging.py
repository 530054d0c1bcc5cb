"""Tags: normalizing the editor's tags, and automatic tags for an article's main subjects.

Automatic tags need no model: capitalized-phrase extraction (people, places, organizations) scored by
frequency, title and lead presence (``tag_candidates``), a built-in gazetteer and a keyword lexicon for twelve
broad topics (``tag_lexicon``, ``tag_topics``). This module normalizes editors' tags and picks the automatic
ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Set

from newsdrop.ingest.tag_candidates import scored_entities
from newsdrop.ingest.tag_lexicon import DEMONYMS, GAZETTEER, PLACES
from newsdrop.ingest.tag_text import hard_wrapped, post_text
from newsdrop.ingest.tag_topics import scored_topics
from newsdrop.models import Tag, tag_key

MAX_TAGS = 20
MAX_TAG_CHARS = 50

# --- keys and editor tags -----------------------------------------------------------------------------------


def _clean_label(raw: str) -> str:
    label = " ".join(str(raw).replace("_", " ").split()).lstrip("#").strip()
    if len(label) > MAX_TAG_CHARS:
        cut = label.rfind(" ", 0, MAX_TAG_CHARS + 1)
        label = label[: cut if cut > 0 else MAX_TAG_CHARS].rstrip(" -,;:")
    return label


def _readability(label: str) -> int:
    # Prefer a capitalized form over an all-lowercase one; spaced over "global-news" style.
    return (2 if any(ch.isupper() for ch in label) else 0) + (0 if "-" in label and " " not in label else 1)


def normalize_tags(raw: Iterable[str]) -> list[Tag]:
    """Editor tags de-duplicated by key, in first-seen order, at most 20, labels at most 50 characters.

    The label is the first-seen form, replaced by a later one only if that is more readable (capitalized
    rather than all lowercase, "Global News" rather than "global-news").
    """
    labels: dict[str, str] = {}
    for item in raw:
        if item is None:
            continue
        label = _clean_label(item)
        key = tag_key(label)
        if not key:
            continue
        if key not in labels:
            if len(labels) >= MAX_TAGS:
                continue
            labels[key] = label
        elif _readability(label) > _readability(labels[key]):
            labels[key] = label
    return [Tag(key=key, label=label) for key, label in labels.items()]


_CANONICAL_LOWER = {alias.casefold(): label for alias, label in [*GAZETTEER.items(), *DEMONYMS.items()]}


def _editor_keys(editor: Iterable[str]) -> set[str]:
    """Keys an automatic tag must not repeat: each editor tag's own, and the gazetteer's name for it
    (editor "US" -> "United States", "Lib Dems" -> "Liberal Democrats")."""
    keys = set()
    for raw in editor:
        label = _clean_label(raw)
        keys.add(tag_key(label))
        canonical = _CANONICAL_LOWER.get(label.casefold()) or _CANONICAL_LOWER.get(
            label.replace("-", " ").casefold()
        )
        if canonical:
            keys.add(tag_key(canonical))
    keys.discard("")
    return keys


def auto_tags(title: str, text: str, exclude: Set[str] = frozenset(), limit: int = 6) -> list[Tag]:
    """Up to ``limit`` tags for the article's main subjects: people, places, organizations, then topics.

    ``exclude`` holds tags the editor already gave (keys or labels); matching tags are left out.
    """
    if limit <= 0:
        return []
    excluded = _editor_keys(exclude)
    letter = hard_wrapped(text)
    post = post_text(text)
    text = post.prose
    entities = scored_entities(title, text, post.voices, post.signers, letter)
    countries = sum(1 for _, _, label in entities[:8] if label in PLACES)
    topics = scored_topics(title, text, countries, letter)
    result: dict[str, Tag] = {}
    topic_tags = [Tag(key=tag_key(t), label=t) for _, t in topics]
    topic_tags = [t for t in topic_tags if t.key not in excluded]
    room = max(limit - len(topic_tags), limit // 2)
    for _, _, label in entities:
        label = _clean_label(label)
        key = tag_key(label)
        surname = key.rsplit("-", 1)[-1]  # editor "Maduro" already says "Nicolás Maduro"
        if key and key not in excluded and surname not in excluded and key not in result:
            result[key] = Tag(key=key, label=label)
            if len(result) >= room:
                break
    for tag in topic_tags:
        if len(result) >= limit:
            break
        result.setdefault(tag.key, tag)
    return list(result.values())[:limit]
