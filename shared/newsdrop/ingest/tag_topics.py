"""Broad topic tags (Politics, Sport, Technology...) from keyword hits in the title and text."""

from __future__ import annotations

from newsdrop.ingest.tag_lexicon import TOPIC_GROUPS, TOPIC_RE


def scored_topics(title: str, text: str, countries: int) -> list[tuple[float, str]]:
    hits: dict[str, float] = {}
    for source, weight in ((" ".join(text.lower().split()), 1.0), (title.lower(), 2.0)):
        for m in TOPIC_RE.finditer(source):
            topic = TOPIC_GROUPS[m.lastgroup or ""]
            hits[topic] = hits.get(topic, 0.0) + weight
    if countries >= 2:
        hits["World"] = hits.get("World", 0.0) + 2.0 * countries
    words = max(len(text.split()), 1)
    ranked = sorted(((h, t) for t, h in hits.items()), reverse=True)
    threshold = max(3.0, words / 80)  # ~6 keyword hits in a 500-word article
    chosen = [(h, t) for h, t in ranked[:2] if h >= threshold]
    if len(chosen) == 2 and chosen[1][0] < 0.5 * chosen[0][0]:
        chosen = chosen[:1]
    return chosen
