"""Broad topic tags (Politics, Sport, Technology...) from keyword hits in the title and text."""

from __future__ import annotations

from newsdrop.ingest.tag_lexicon import topic_hits

# A topic needs keyword hits in proportion to the text's length, and three different keywords: one word said
# three times ("business" in "this business of printing page numbers") is not a topic.
MIN_HITS = 4.0
MIN_DISTINCT = 3
WORDS_PER_HIT = 80
# Each of the top countries counts as a World hit when two or more are named, unless the text is mostly about
# sport ("Ireland v England").
COUNTRY_BOOST = 2.0
# A second topic must have about two thirds of the first's hits: below that it was a misfire (Business on a
# manager's contract, Health on a computer virus) as often as not on the news corpus.
SECOND_TOPIC_SHARE = 0.65
# A letter (see ``tag_text.hard_wrapped``) argues, digresses and quotes: its topic needs half as
# many hits again.
LETTER_HITS = 1.5


def scored_topics(title: str, text: str, countries: int, letter: bool = False) -> list[tuple[float, str]]:
    hits: dict[str, float] = {}
    distinct: dict[str, set[str]] = {}
    for source, weight in ((" ".join(text.lower().split()), 1.0), (title.lower(), 2.0)):
        for topic, word in topic_hits(source):
            hits[topic] = hits.get(topic, 0.0) + weight
            distinct.setdefault(topic, set()).add(word)
    words = max(len(text.split()), 1)
    threshold = max(MIN_HITS, words / WORDS_PER_HIT) * (LETTER_HITS if letter else 1.0)
    sport_led = bool(hits) and max(hits, key=hits.__getitem__) == "Sport" and hits["Sport"] >= threshold
    if countries >= 2 and not sport_led:  # national teams playing each other are not world news
        hits["World"] = hits.get("World", 0.0) + COUNTRY_BOOST * countries
        distinct.setdefault("World", set()).update(str(i) for i in range(countries))
    ranked = sorted(((h, t) for t, h in hits.items()), reverse=True)
    chosen = [(h, t) for h, t in ranked[:2] if h >= threshold and len(distinct[t]) >= MIN_DISTINCT]
    if len(chosen) == 2 and chosen[1][0] < SECOND_TOPIC_SHARE * chosen[0][0]:
        chosen = chosen[:1]
    return chosen
