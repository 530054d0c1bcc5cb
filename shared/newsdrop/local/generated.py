"""Made-up articles, bad files and readers for the chaos runs, the benchmarks and the tests: no third-party
text, deterministic for a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class DropFile:
    name: str  # key under the incoming prefix
    body: bytes


TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "harbour": (
        ["ferry", "pier", "tide", "dock", "cargo", "crane", "quay", "vessel", "berth", "lighthouse"],
        ["Port Ellery", "Captain Mara Voss", "Saltmarsh Authority"],
    ),
    "rail": (
        ["train", "signal", "platform", "timetable", "track", "carriage", "station", "commuter", "fare"],
        ["Northline Rail", "Kestrel Junction", "Ines Albany"],
    ),
    "weather": (
        ["storm", "rainfall", "forecast", "wind", "flood", "gust", "drought", "frost", "heatwave"],
        ["Met Bureau", "Calder Valley", "Otto Brennan"],
    ),
    "football": (
        ["striker", "goal", "league", "keeper", "transfer", "stadium", "derby", "penalty", "manager"],
        ["Riverton Rovers", "Harbourside United", "Lucia Ferraz"],
    ),
    "cricket": (
        ["wicket", "innings", "bowler", "batsman", "pitch", "over", "boundary", "umpire", "century"],
        ["Eastbridge County", "Dev Ramaswamy", "Oakfield Ground"],
    ),
    "economy": (
        ["inflation", "rates", "bank", "growth", "wages", "bond", "budget", "deficit", "exports"],
        ["Central Reserve", "Minister Hale", "Treasury Board"],
    ),
    "technology": (
        ["chip", "software", "startup", "cloud", "network", "device", "battery", "processor", "data"],
        ["Quillon Labs", "Aster Devices", "Priya Lindqvist"],
    ),
    "health": (
        ["hospital", "clinic", "vaccine", "nurse", "patients", "surgery", "ward", "doctor", "therapy"],
        ["St Brigid Hospital", "Health Council", "Dr Tomas Ueda"],
    ),
    "music": (
        ["album", "festival", "concert", "band", "singer", "chart", "tour", "guitar", "orchestra"],
        ["The Lantern Set", "Millbrook Festival", "Nadia Roux"],
    ),
    "elections": (
        ["ballot", "vote", "candidate", "poll", "campaign", "turnout", "parliament", "coalition", "party"],
        ["Civic Union", "Senator Okafor", "Electoral Office"],
    ),
    "farming": (
        ["harvest", "wheat", "cattle", "orchard", "tractor", "soil", "barley", "dairy", "irrigation"],
        ["Greenacre Co-op", "Marta Kowal", "Fenland Plain"],
    ),
    "space": (
        ["rocket", "orbit", "satellite", "launch", "telescope", "lunar", "probe", "astronaut", "payload"],
        ["Solace Agency", "Vega Pad", "Commander Iris Tan"],
    ),
}
COMMON = [
    "the",
    "a",
    "said",
    "on",
    "in",
    "after",
    "with",
    "from",
    "as",
    "officials",
    "told",
    "reporters",
    "this",
    "week",
    "that",
    "would",
    "be",
]


def generated_articles(n: int, *, seed: int = 1, start: str = "2025-06-01T08:00:00+00:00") -> list[DropFile]:
    """``n`` made-up Markdown articles, one hour apart, each about one or two of TOPICS."""
    from datetime import datetime, timedelta

    rng = random.Random(seed)
    base = datetime.fromisoformat(start)
    names = sorted(TOPICS)
    files = []
    for i in range(n):
        main = rng.choice(names)
        second = rng.choice(names) if rng.random() < 0.35 else None
        topics = [main] + ([second] if second and second != main else [])
        words = [w for t in topics for w in TOPICS[t][0]]
        people = [p for t in topics for p in TOPICS[t][1]]
        title_words = rng.sample(TOPICS[main][0], 3)
        title = f"{rng.choice(TOPICS[main][1])} {title_words[0]} {title_words[1]} and {title_words[2]} {i}"
        paragraphs = []
        for _ in range(rng.randint(3, 6)):
            sentences = []
            for _ in range(rng.randint(2, 4)):
                bag = rng.sample(words, 5) + rng.sample(COMMON, 4)
                rng.shuffle(bag)
                sentences.append(f"{rng.choice(people)} {' '.join(bag)}.")
            paragraphs.append(" ".join(sentences))
        date = (base + timedelta(hours=i)).isoformat()
        body = (
            f"---\ntitle: {title.capitalize()}\nauthor: Desk {i % 7}\ndate: {date}\n"
            f"tags: {', '.join(topics)}\n---\n\n" + "\n\n".join(paragraphs) + "\n"
        )
        files.append(DropFile(name=f"gen/{i:05d}-{main}.md", body=body.encode()))
    return files


def generated_bad_files(n: int, *, seed: int = 2) -> list[DropFile]:
    """Files that must end in quarantine: no title, empty, broken JSON, not text."""
    rng = random.Random(seed)
    kinds = [
        ("md", b"---\nauthor: Nobody\n---\n\nA body without a title.\n"),
        ("md", b""),
        ("json", b'{"title": "Unclosed'),
        ("docx", b"PK\x03\x04 not really a document"),
    ]
    files = []
    for i in range(n):
        ext, body = kinds[rng.randrange(len(kinds))]
        files.append(DropFile(name=f"bad/{i:04d}.{ext}", body=body))
    return files


def readers(
    n: int, topics: list[str], *, seed: int = 3, everything_share: float = 0.02
) -> list[tuple[str, list[str], bool]]:
    """``n`` readers: a few follow everything, the rest one or two of ``topics``."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        everything = rng.random() < everything_share
        chosen = [] if everything else sorted(rng.sample(topics, rng.randint(1, min(2, len(topics)))))
        rows.append((f"reader{i:06d}@example.org", chosen, everything))
    return rows


def published_order(files: list[DropFile]) -> list[DropFile]:
    """Good files in (published, slug) order, undated ones after them, bad ones last: the order
    ``reindex_all`` replays, so a fault-free run and a clean reindex agree list for list."""
    from newsdrop.ingest.parsing import parse_article
    from newsdrop.ingest.text import slugify
    from newsdrop.models import RejectedInput

    dated, undated, bad = [], [], []
    for f in files:
        try:
            draft = parse_article(f.body, f.name)
        except RejectedInput:
            bad.append(f)
            continue
        slug = slugify(draft.slug) if draft.slug else slugify(draft.title)
        (dated if draft.date else undated).append((draft.date, slug, f))
    dated.sort(key=lambda t: (t[0], t[1]))
    return [f for _, _, f in dated] + [f for _, _, f in undated] + bad
