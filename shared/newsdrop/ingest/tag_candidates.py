"""Candidate tags from an article's text: runs of capitalized words (people, places, organizations), cleaned
of titles, descriptors and sentence starts, joined into one form per entity and scored by frequency, title
and lead presence."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Set
from functools import lru_cache
from itertools import islice

from newsdrop.ingest.tag_lexicon import (
    BREAK,
    COUNTRIES,
    DEMONYMS,
    DESCRIPTORS,
    FAITHS,
    GAZETTEER,
    NEVER_ALONE,
    NOT_NAME_PARTS,
    NUMBER_WORDS,
    PLACES,
    TITLES,
    TRAILING_GROUPS,
    ordinary,
)

_COUNTRIES_BY_INITIAL: dict[str, list[str]] = {}
for _country in COUNTRIES:
    _COUNTRIES_BY_INITIAL.setdefault(_country[0], []).append(_country)


@lru_cache(maxsize=4096)
def _misspelt_country(word: str) -> str | None:
    """ "Azarbaijan", "Azerbadjan", "Isreal" -> the country: forum posts misspell countries, and a second
    spelling would be a second tag. Two swapped letters, or a long single word very close to the country
    ("Indiana" is not "India")."""
    if len(word) < 5 or " " in word or not word[0].isupper() or ordinary(word):
        return None
    for country in _COUNTRIES_BY_INITIAL.get(word[0], ()):
        # two letters swapped, at most one letter between them, the commonest typing slip: "Isreal", "Iarq",
        # "Lybia"
        if len(country) == len(word) and sorted(country) == sorted(word):
            diff = [i for i, (a, b) in enumerate(zip(word, country, strict=True)) if a != b]
            if len(diff) == 2 and diff[1] - diff[0] <= 2:
                return country
    if len(word) < 7:
        return None
    near = [c for c in _COUNTRIES_BY_INITIAL.get(word[0], ()) if abs(len(c) - len(word)) <= 2]
    close = difflib.get_close_matches(word, near, n=1, cutoff=0.85) if near else []
    return close[0] if close else None


def _shouted(label: str) -> bool:
    """Shouting, not a name: an all-capitals common word inside the phrase ("SIPPs FOR SALE", "IF PKP"), or a
    long all-capitals word beside ordinary ones ("God PUNISHED", "OCCUPYING Israeli")."""
    words = label.split()
    if len(words) < 2:
        return False
    if any(w.isupper() and len(w) > 1 and w.title() in NEVER_ALONE for w in words):
        return True
    return any(w.isupper() and len(w) >= 5 for w in words) and not all(w.isupper() for w in words)


def _is_descriptor(word: str) -> bool:
    return word in DESCRIPTORS or word in TITLES or word.rsplit("-", 1)[-1] in TITLES


# Where a story was told, not what it is about.
_ATTRIBUTION = re.compile(r"^(?:BBC (?:News|Sport|Radio|Online|Scotland|Wales)\b|Press Association$)")
_CONNECTORS = {
    "of",
    "de",
    "la",
    "del",
    "dal",
    "della",
    "di",
    "da",
    "do",
    "dos",
    "van",
    "von",
    "der",
    "den",
    "al",
    "bin",
    "le",
    "du",
}
# "Center for Policy Research", "Campaign for Nuclear Disarmament": after these, "for" goes on with the name.
_FOR_HEADS = {
    "Alliance",
    "Association",
    "Campaign",
    "Center",
    "Centre",
    "Coalition",
    "Commission",
    "Committee",
    "Council",
    "Department",
    "Federation",
    "Foundation",
    "Fund",
    "Institute",
    "League",
    "Ministry",
    "Office",
    "Organisation",
    "Organization",
    "Party",
    "Secretary",
    "Society",
    "Trust",
    "Union",
}
_TOKEN = re.compile(r"[^\W\d_](?:[\w&]|['\u2019.\-](?=[^\W_]))*|\d[\w.,%]*|\n|[^\w\s]")
_SENTENCE_END = set('.!?:;\n"\u201c\u2018(\u2014\u2013-\u2022*#>|')
_MAX_WORDS = 5
_VERBISH = re.compile(r"(?:ing|ed|ly)$")
# "I'm", "You'll", "Don't", "Who've": a pronoun or verb with its contraction never names a subject.
_CONTRACTION = re.compile(r"['\u2019](?:m|d|ll|ve|re|t)$|n['\u2019]t$", re.IGNORECASE)
# "U.S", "U.K", "E.U" as the token pattern leaves them: the abbreviation gets its final dot back.
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")
# Codes, not subjects: "S3", "486DX", "C650", "Grade B" (unless the gazetteer knows them: "G20").
_CODE = re.compile(r"\d|(?:^|\s)[A-Za-z]$")
# An everyday word is a name only when the text keeps capitalizing it in mid-sentence ("Apple", "Arsenal").
ORDINARY_NAME_MENTIONS = 2
# The evidence a name needs to be a tag: one point a mention, half a point more when the lead names it, two
# when the title does. A name said twice, even once in the lead, and never in the title, is a name in passing
# (Cairo where a deal was signed, China in a comparison, an outside expert quoted once more): on the strict
# hand verdicts of the news corpus such tags were right 71% of the time, against 91% above this bar.
MIN_SCORE = 3.0
# A name the title does not use is a tag only when the text names it in its opening (its first two sentences)
# and it scores 4. Where a story first names someone says more than how often: on the strict hand verdicts,
# such names first named in the opening were right about nine times in ten on the news corpus, those first
# named further down about half the time (a co-star, a rival's result, the club a chairman once ran, a
# manager quoted on his player's injury), however often the text came back to them.
OPENING_SENTENCES = 2
UNTITLED_SCORE = 4.0
# A letter (a hard-wrapped post: e-mail, Usenet, a forum) says what it is about in its subject line; its body
# quotes, lists, compares and signs. There only the subject line's names are tags, and one the gazetteer does
# not know must also come back in the body (a score of 5: the subject line and three mentions). On the strict
# verdicts of the forum corpus, a letter's other names were right three times in four; the subject line's
# unknown words below this bar ("Receivables", "Miscellany", "Sox" from "Red Sox") four in five.
LETTER_SCORE = 5.0
_LOWER_COMPOUND = re.compile(r"^[\w.]+-[a-z]+$")
_INITIAL_NAME = re.compile(r"^[A-Z]\.? [A-Z][\w'\-]+$")
_ACRONYM = re.compile(r"^[A-Z0-9&\-]{2,}s?$")


class _Candidate:
    __slots__ = ("label", "count", "initial_only", "first", "in_title", "titled", "mid", "named")

    def __init__(self, label: str, first: int):
        self.label = label
        self.count = 0.0
        self.initial_only = True
        self.first = first
        self.in_title = False  # the title names it, or a piece of it joined to it ("Blair" in "Tony Blair")
        self.titled = False  # the title names this very name
        self.mid = 0  # mentions in mid-sentence, where a capital is a choice
        self.named = False  # some mention names it as a noun, not as a modifier ("US rap duo")


_YEAR = re.compile(r"^(?:1[89]|20)\d\d\W*$")


def _runs(text: str) -> Iterable[tuple[list[str], bool, int, bool]]:
    """Runs of capitalized words: (words, started a sentence, character offset, fragment).

    A fragment follows a capitalized stop word in mid-sentence ("the Just Add Monsters studio", "told
    The Times"): the stop word was part of a longer name, so what follows is only a piece of it."""
    run: list[str] = []
    run_initial = False
    run_start = 0
    pending: list[str] = []  # connectors waiting for a capitalized word ("Bank of England")
    sentence_start = True
    run_fragment = after_break = False
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        first = token[0]
        if first.isalpha():
            possessive = token.endswith(("'s", "\u2019s"))
            word = token[:-2] if possessive else token.rstrip("'\u2019")
            if _DOTTED.match(word) and text[m.end() : m.end() + 1] == ".":
                word += "."
            if word[0].isupper():
                opens_sentence = word in NUMBER_WORDS and not run and sentence_start
                if word in TITLES or word in BREAK or opens_sentence or _CONTRACTION.search(word):
                    inside = not sentence_start and word in BREAK and word not in NOT_NAME_PARTS
                    if run:
                        # "Meet The Fockers": a capitalized stop word in mid-sentence continues a title, so
                        # the words before it are a piece of that title too.
                        yield run, run_initial, run_start, run_fragment or (inside and not pending)
                    run, pending = [], []
                    if inside:
                        after_break = True
                        sentence_start = False
                        continue
                elif len(run) < _MAX_WORDS:
                    if not run:
                        run_initial, run_start, run_fragment = sentence_start, m.start(), after_break
                    run.extend(pending)
                    pending = []
                    run.append(word)
                if possessive and run:
                    yield run, run_initial, run_start, run_fragment
                    run, pending = [], []
            elif run and not pending and (word in _CONNECTORS or (word == "for" and run[-1] in _FOR_HEADS)):
                pending = [word]
            else:
                if run:
                    yield run, run_initial, run_start, run_fragment
                run, pending = [], []
            sentence_start = after_break = False
            continue
        after_break = False
        if (
            run
            and not pending
            and token.isdigit()
            and len(token) <= 2
            and len(run) < _MAX_WORDS
            and text[m.end() : m.end() + 1]
            not in ("-", "\u2013", "/", ":")  # a score, a date: "Greg Rusedski 4-6"
        ):
            run.append(token)  # "Channel 4", "Formula 1"
            sentence_start = False
            continue
        if run:
            yield run, run_initial, run_start, run_fragment
            # "Netware 286 Level II", "Centris 610 Video": after a model number, capitals go on naming the
            # product, so what follows is only a piece of its name.
            after_break = first.isdigit() and len(token) >= 3 and not _YEAR.match(token)
        run, pending = [], []
        if first in _SENTENCE_END:
            sentence_start = True
    if run:
        yield run, run_initial, run_start, run_fragment


_LANGUAGE_AFTER = re.compile(
    r"\s+(?:word|words|text|texts|translation|translations|language|term|terms|grammar|lexicon|original|"
    r"spelling|phrase|verb|verbs|noun|nouns|manuscripts?)\b"
)
_LANGUAGE_BEFORE = re.compile(r"\b(?:in|into|from)\s+$")


def _language(text: str, offset: int, word: str) -> bool:
    after = text[offset + len(word) : offset + len(word) + 20]
    if _LANGUAGE_AFTER.match(after):
        return True
    return (
        bool(_LANGUAGE_BEFORE.search(text[max(0, offset - 6) : offset]))
        and not after[:2].strip(" ").isalpha()
    )


_DESCRIBED = re.compile(r"((?:\s+[a-z][a-z\-]*){0,3})\s+[A-Z]")
# Lowercase words that may follow a place named as a subject ("the US said", "England and Wales").
_FUNCTION_WORDS = set(
    """
    a an the and or but nor of in on at to for from with by as into than that which who whom whose
    is are was were be been has have had will would can could may might must shall should do does did
    said says say told added also still now then yet so if when while where after before since until
    because although though over under against between among through during without within about
    """.split()  # noqa: SIM905
)


def _describes(text: str, offset: int, last_word: str) -> bool:
    """The place only describes the name that follows ("US rap duo OutKast", "England defender Ashley Cole",
    "Swedish firm Electrolux"): a mention of someone else, not of the place as a subject."""
    end = text.find(last_word, offset)
    if end < 0:
        return False
    m = _DESCRIBED.match(text, end + len(last_word))
    return m is not None and not set(m.group(1).split()) & _FUNCTION_WORDS


# "Top of the Pops", "Eternal Sunshine of the Spotless Mind", "Footballer of the Year": an everyday word
# capitalized before a lowercase "of the" starts a title, so either side alone is a piece of it. A name before
# it is someone of something ("Mia Hamm of the United States"); a place the gazetteer knows stays.
_OF_THE_BEFORE = re.compile(r"\b([A-Z][\w'\-]*) of the $")
_OF_THE_AFTER = re.compile(r" of the [A-Z]")


def _of_the_piece(text: str, offset: int, words: list[str]) -> bool:
    if " ".join(words) in GAZETTEER:
        return False
    before = _OF_THE_BEFORE.search(text, max(0, offset - 40), offset)
    if before is not None and ordinary(before.group(1)) and not _is_descriptor(before.group(1)):
        return True
    end = text.find(words[-1], offset)
    return end >= 0 and ordinary(words[-1]) and _OF_THE_AFTER.match(text, end + len(words[-1])) is not None


# The one who reported the story, not its subject: "told the BBC", "the Financial Times reported".
_SOURCE_BEFORE = re.compile(
    r"\b(?:told|tells|telling|according to|speaking to|spoke to|interview with|writing in|wrote in|quoted by|"
    r"quoted in|reported by|report in|reports in|article in)\s+(?:the\s+)?$"
)
# A newspaper by its name ("China Daily", "the Financial Times") is where the story was read, unless the title
# names it.
_NEWSPAPER = re.compile(
    r"(?:^Daily |.+ (?:Daily|Times|Journal|Herald|Telegraph|Gazette|Chronicle|Tribune|Guardian|Observer|Inquirer)$)"
)
_SOURCE_AFTER = re.compile(r"(?:['\u2019]s)?\s+(?:newspaper|website|programme)\b")
_SOURCE_REPORTED = re.compile(r"\s+(?:reported|reports)\b")


def _only_a_source(text: str, label: str) -> bool:
    """Every mention of the label is the source of a quote or a report."""
    seen = False
    start = text.find(label)
    while start >= 0:
        end = start + len(label)
        if not (start and text[start - 1].isalnum()) and not (end < len(text) and text[end].isalnum()):
            head = text[max(0, start - 30) : start]
            reported = head.endswith(("the ", "The ")) and _SOURCE_REPORTED.match(text, end)
            if not (_SOURCE_BEFORE.search(head) or _SOURCE_AFTER.match(text, end) or reported):
                return False
            seen = True
        start = text.find(label, start + 1)
    return seen


def _merge(host: _Candidate, other: _Candidate) -> None:
    host.count += other.count
    host.in_title = host.in_title or other.in_title
    host.first = min(host.first, other.first)
    host.initial_only = host.initial_only and other.initial_only
    host.mid += other.mid
    host.named = host.named or other.named


def _lower_words(text: str) -> set[str]:
    return {w for w in re.findall(r"\b[a-z][a-z'\-]+\b", text)}


# Units, not names: "33 Mhz", "120 Meg Hard", "2400 Baud Modem", "4 Megs of DRAM".
_UNIT = re.compile(r"^(?:[KkMmGg]?[Hh][Zz]|Megs?|[KkMmGg][Bb]|Baud|BPS|Bps|DPI|Dpi|RPM|Rpm|Ohms?)$")


def _voiced(label: str, voices: Set[str], signers: Set[str]) -> bool:
    """The name is someone the post replies to (every word among its voices), or the poster (a name of
    several words, every one from the signature)."""
    words = [w for w in label.replace("-", " ").split() if w not in _CONNECTORS]
    if not words:
        return False
    return all(w in voices for w in words) or (len(words) > 1 and all(w in signers for w in words))


def scored_entities(
    title: str,
    text: str,
    voices: Set[str] = frozenset(),
    signers: Set[str] = frozenset(),
    letter: bool = False,
) -> list[tuple[float, int, str]]:
    lowercase = _lower_words(text)
    candidates: dict[str, _Candidate] = {}
    lead_end = min(len(text) // 2, 400)  # the lead of a five-line post is not its signature
    opening_end = _opening_end(text)

    def add(label: str, weight: float, initial: bool, offset: int, noun: bool = False) -> None:
        cand = candidates.get(label)
        if cand is None:
            cand = candidates[label] = _Candidate(label, offset)
        cand.count += weight + (0.5 if offset < lead_end and cand.count == 0 else 0)
        cand.initial_only = cand.initial_only and initial
        cand.mid += not initial
        cand.named = cand.named or noun

    for words, initial, offset, fragment in _runs(text):
        if fragment or _of_the_piece(text, offset, words):
            continue
        for i, word in enumerate(words):
            if i and f"{words[i - 1]} {word}" in DEMONYMS:
                continue  # "South African": South Africa below, not Africa
            if word in DEMONYMS:
                if len(words) == 1 and _language(text, offset, word):
                    break  # "the Greek word", "in Hebrew.": a language, not the country or its people
                faith = DEMONYMS[word] in FAITHS
                add(
                    DEMONYMS[word],
                    0.6,
                    False,
                    offset,
                    word.endswith("s") if faith else not _describes(text, offset, word),
                )
                if len(words) == 1:
                    break
        else:
            if len(words) == 1 and words[0] in DEMONYMS:
                continue
            if len(words) >= 3 and (words[0] in DEMONYMS or words[0].lower() in lowercase):
                # "Italian Potito Starace", "Scrum-half Matt Dawson"
                words = words[1:]
            if len(words) > 1 and _LOWER_COMPOUND.match(words[0]):
                words = words[1:]  # "Sydney-listed Virgin Blue", "US-based Motorola"
            # Descriptors around a name: "Tory Neil Hamilton", "Vice-President Dick Cheney", "London Tory"
            while len(words) > 1 and _is_descriptor(words[0]):
                words = words[1:]
            if len(words) >= 3 and words[0] in DEMONYMS:  # "Veteran Spaniard Conchita Martinez"
                words = words[1:]
            while len(words) > 1 and _is_descriptor(words[-1]):
                words = words[:-1]
            while words and words[0] in _CONNECTORS:  # "(House) of Commons" -> not "of Commons"
                words = words[1:]
            if not words:
                continue
            while len(words) > 1 and words[-1] in TRAILING_GROUPS:
                words = words[:-1]
            phrase = " ".join(words)
            if phrase in DEMONYMS:  # two-word demonyms: "South African"
                add(DEMONYMS[phrase], 0.6, False, offset, not _describes(text, offset, words[-1]))
                continue
            if (
                initial
                and len(words) > 1
                and (
                    words[0].lower() in lowercase
                    or _VERBISH.search(words[0])
                    or (
                        len(words) == 2 and words[1] in DEMONYMS and ordinary(words[0])
                    )  # "Legendary Dutch coach"
                )
                and not any(" ".join(words[:k]) in GAZETTEER for k in range(2, len(words) + 1))
            ):  # "Search Turkish planes?", but not "New York City is..."
                words = words[1:]
                while words and words[0] in _CONNECTORS:
                    words = words[1:]
                phrase = " ".join(words)
                initial = False
                if phrase in DEMONYMS:
                    add(DEMONYMS[phrase], 0.6, False, offset, not _describes(text, offset, words[-1]))
                    continue
            label = GAZETTEER.get(phrase) or _misspelt_country(phrase) or phrase
            add(label, 1.0, initial and label == phrase, offset, not _describes(text, offset, words[-1]))

    title_l = title.lower()
    known = set(GAZETTEER.values())
    for cand in candidates.values():
        cand.in_title = cand.titled = _titled(title_l, cand.label)

    # Surnames and first names join the full name: "Mr Blair" -> "Tony Blair".
    multi = sorted((c for c in candidates.values() if " " in c.label), key=lambda c: -c.count)
    for label, cand in list(candidates.items()):
        if " " in label or label in known:
            continue
        host = next((m for m in multi if _part_of(label, m.label)), None)
        if host is not None:
            host.count += cand.count
            host.in_title = host.in_title or cand.in_title
            host.first = min(host.first, cand.first)
            host.mid += cand.mid
            del candidates[label]
    # Other single words: names only if seen mid-sentence (or known), and not a common word.
    for label, cand in list(candidates.items()):
        if label in known:
            continue
        if _ATTRIBUTION.match(label):
            del candidates[label]
            continue
        if _CODE.search(label) or (_ACRONYM.match(label) and not _DOTTED.match(label.rstrip("."))):
            del candidates[label]  # a code or an acronym nobody has vouched for: not a subject we can name
            continue
        if " " in label:
            if cand.mid == 0 and not cand.in_title:
                # only ever at the start of a line or sentence: a heading, a list row, a sign-off
                del candidates[label]
            continue
        common = label.lower() in lowercase or label.replace(".", "") in NEVER_ALONE or len(label) < 3
        if cand.initial_only or common or (len(label) > 5 and _VERBISH.search(label)):
            del candidates[label]
        elif cand.mid < ORDINARY_NAME_MENTIONS and ordinary(label):
            del candidates[label]  # "Corner", "Covenant": an everyday word, capitalized once or twice
    # One form per entity: a name that starts a longer one joins it ("Moscow Aviation" -> "Moscow
    # Aviation Institute"), and "Lib Dem" joins "Lib Dems".
    for label in sorted((c for c in candidates if " " in c), key=len):
        longer = [c for c in candidates.values() if c.label.startswith(label + " ")]
        if longer and label not in known:
            host = max(longer, key=lambda c: c.count)
            _merge(host, candidates.pop(label))
    # ... and one that ends a longer one too ("Catholic Church", "Roman Catholic Church"); an initial joins the
    # full name ("K Holmes" -> "Kelly Holmes").
    for label in sorted((c for c in candidates if " " in c), key=len):
        if label not in candidates:  # already joined to a shorter form
            continue
        initial = _INITIAL_NAME.match(label)
        longer = [
            c
            for c in candidates.values()
            if c.label != label
            and c.label.endswith(" " + (label.split(" ", 1)[1] if initial else label))
            and (not initial or c.label[0] == label[0])
        ]
        if not longer:
            continue
        if label in known:  # the gazetteer's form: "Catholic Church", "Six Nations"
            for other in longer:
                _merge(candidates[label], candidates.pop(other.label))
            continue
        host = max(longer, key=lambda c: c.count)
        if not initial and candidates[label].count > host.count:
            # the form the text uses most: "Jesus Christ", not "Saviour Jesus Christ"
            _merge(candidates[label], candidates.pop(host.label))
        else:
            _merge(host, candidates.pop(label))
    for label in sorted(candidates, key=len):
        cand = candidates.get(label)
        plural = candidates.get(label + "s")
        if cand is not None and plural is not None:
            keep, drop = (plural, cand) if plural.count >= cand.count else (cand, plural)
            _merge(keep, candidates.pop(drop.label))

    scored: list[tuple[float, int, str]] = []
    for cand in candidates.values():
        score = cand.count + (2.0 if cand.in_title else 0.0)
        if cand.label in PLACES and not cand.named and not cand.in_title:
            continue  # only ever describing someone ("US rap duo OutKast", "British sprinter Kim Ward")
        if cand.label in FAITHS and not cand.named:
            # only ever an adjective, even in the title ("Jewish baseball players", "the Jewish purchase"): on
            # the strict verdicts of the forum corpus such tags were wrong more often than right
            continue
        if (not cand.in_title and _only_a_source(text, cand.label)) or (
            _NEWSPAPER.match(cand.label) and not cand.titled
        ):
            continue  # only ever the story's source ("told the BBC"), or a newspaper
        if not cand.in_title and (voices or signers) and _voiced(cand.label, voices, signers):
            continue  # the poster, or whom the post replies to ("Paul Smith writes:")
        if cand.label not in known and any(_UNIT.match(w) for w in cand.label.split()):
            continue
        if (
            not cand.in_title
            and cand.label not in known
            and _long_name(cand.label)
            and not _surname_in_title(title_l, cand.label)
        ):
            continue
        if not cand.in_title and (score < UNTITLED_SCORE or cand.first >= opening_end):
            continue
        # (a letter's subject line must name this very name: a piece of it joined to a longer one does not do)
        if letter and not (
            (cand.titled or _surname_in_title(title_l, cand.label))
            and (cand.label in known or score >= LETTER_SCORE)
        ):
            continue
        if (
            score >= MIN_SCORE
            and not (cand.label.isupper() and len(cand.label) > 6)
            and not _shouted(cand.label)
        ):
            scored.append((score, cand.first, cand.label))
    scored = _without_bare_places(scored)
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored


# A sentence ends at ".", "!" or "?" (and a closing quote) before a capital; not after "Mr." or an initial.
_SENTENCE_BREAK = re.compile(r"([\w.]*)[.!?][\"'\u2019\u201d)]?\s+(?=[A-Z\"'\u201c\u2018])")
_ABBREVIATIONS = {
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "St",
    "Prof",
    "Rev",
    "Gen",
    "Sen",
    "Gov",
    "Jr",
    "Sr",
    "No",
    "vs",
    "v",
}


def sentence_ends(text: str) -> Iterator[int]:
    """Where each sentence of ``text`` ends, just after its ".", "!" or "?", in order (not the last one's)."""
    for match in _SENTENCE_BREAK.finditer(text):
        word = match.group(1)
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isupper()) or "." in word:
            continue  # "Mr. Clinton", "J. Smith", "U.S. officials"
        yield match.start(1) + len(word) + 1


def _opening_end(text: str) -> int:
    """Where the text's first ``OPENING_SENTENCES`` sentences end (the whole text if it is shorter)."""
    return next(islice(sentence_ends(text), OPENING_SENTENCES - 1, None), len(text))


def _part_of(word: str, name: str) -> bool:
    """ "Blair" and "Tony" are parts of "Tony Blair", "SBC" of "SBC Communications", "Kilroy" of "Robert
    Kilroy-Silk"."""
    words = name.split()
    return word in (words[0], words[-1], words[-1].split("-")[0])


def _without_bare_places(scored: list[tuple[float, int, str]]) -> list[tuple[float, int, str]]:
    """A place is not a tag beside a tagged name that starts with it or its demonym: "Leeds" beside "Leeds
    United" is the club, "Europe" beside "European Union" the union."""
    labels = [label for _, _, label in scored]
    prefixes = {label: (label + " ", *(d + " " for d in _DEMONYMS_OF.get(label, ()))) for label in labels}
    bare = {
        label
        for label in labels
        if label in PLACES and any(other != label and other.startswith(prefixes[label]) for other in labels)
    }
    return [item for item in scored if item[2] not in bare]


def _titled(title_l: str, label: str) -> bool:
    return mentions(title_l, label.lower()) or any(
        alias_l in title_l and mentions(title_l, alias_l) for alias_l in aliases_lower(label)
    )


def _surname_in_title(title_l: str, label: str) -> bool:
    """The title names a long name by its last word, when that word is no everyday word: "Andersen tales"
    for Hans Christian Andersen (but "School" in a title does not name "Norfolk High School")."""
    last = label.rsplit(" ", 1)[-1]
    return not ordinary(last) and mentions(title_l, last.lower())


def _long_name(label: str) -> bool:
    """Three words or more besides "of", "the"...: unless the title uses it or the gazetteer knows it, such a
    name is as often a piece of something longer (a heading, a film's title, "Ohio Revised Code") as a
    subject. On the earlier hand verdicts they were right 71% of the time on BBC and 56% on 20NG."""
    return sum(1 for word in label.replace("-", " ").split() if word not in _CONNECTORS) >= 3


_DEMONYMS_OF: dict[str, list[str]] = {}
for _people, _place in DEMONYMS.items():
    _DEMONYMS_OF.setdefault(_place, []).append(_people)

_ALIASES_BY_LABEL: dict[str, list[str]] = {}
for _alias, _label in [*GAZETTEER.items(), *DEMONYMS.items()]:
    _ALIASES_BY_LABEL.setdefault(_label, []).append(_alias.lower())


def aliases_lower(label: str) -> list[str]:
    return _ALIASES_BY_LABEL.get(label, [])


def mentions(haystack: str, needle: str) -> bool:
    if not needle:
        return False
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        before = haystack[start - 1] if start else " "
        after = haystack[end] if end < len(haystack) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        start = haystack.find(needle, start + 1)
    return False
