"""Followed topics: tag keys, made exactly as articles' tags are, and which one an article is sent for.

Its own module so that the email renderer (``email.reason_text``) and the subscription flow
(``subscribers``) both read ``EVERYTHING`` without importing each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from newsdrop.canonical import tag_key

EVERYTHING = "*"  # the topic-index partition of people who follow everything
MAX_TOPICS = 40  # a preferences change (profile + old and new index items) fits one 100-item transaction


class InvalidTopics(ValueError):
    pass


def normalize_topic(raw: object) -> str:
    """A followed topic is a tag key, made exactly as articles' tags are (``newsdrop.canonical.tag_key``):
    ``"Global News"``, ``"#global-news"`` -> ``"global-news"``; ``"São Paulo"`` -> ``"sao-paulo"``."""
    if not isinstance(raw, str):
        raise InvalidTopics("topics must be strings")
    value = tag_key(raw)
    if not value or len(value) > 64:
        raise InvalidTopics("a topic must be 1-64 letters, digits or hyphens")
    return value


def normalize_topics(raw: object) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        raise InvalidTopics("topics must be a list of tag keys")
    topics = sorted({normalize_topic(item) for item in raw})
    if len(topics) > MAX_TOPICS:
        raise InvalidTopics(f"at most {MAX_TOPICS} topics")
    return topics


def match_reason(article_tags: Sequence[str], topics: Iterable[str], everything: bool) -> str | None:
    """Why this subscriber gets this article: the first of the article's tags they follow, in the
    article's order, else ``EVERYTHING`` if they follow everything, else None (they don't get it).

    The fan-out reads one topic-index partition per tag and emits a subscriber only from the partition
    named by this function, so someone following three of the article's tags is enqueued once.
    """
    followed = set(topics)
    for tag in article_tags:
        if tag in followed:
            return tag
    return EVERYTHING if everything else None
