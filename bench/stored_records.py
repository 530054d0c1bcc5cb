"""Reading stored records: today's dataclasses (``newsdrop.models.article_from_json``) against pydantic
models and ``TypeAdapter``s over TypedDicts, per record and at import.

    .venv/bin/python bench/stored_records.py            # 20,000 reads each, 7 import rounds
    .venv/bin/python bench/stored_records.py --smoke    # 200 reads, 1 round (CI)

Per record: an article item as a stream image or a GetItem gives it (numbers as Decimal, moments as
strings) read into each form, CPU time per read (``time.process_time``, best of 5 runs). At import: CPU
time of a fresh process that imports ``newsdrop.models`` and defines the alternative's classes, against
one that only imports ``newsdrop.models`` (the dataclasses), medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

ITEM = {
    "pk": "ARTICLE#cafe-reopens", "sk": "CURRENT", "kind": "article", "slug": "cafe-reopens",
    "title": "Café reopens after the flood", "author": "Ana Ruiz", "published": "2026-11-25T09:30:00Z",
    "body": "The café on Quay Street reopened on Tuesday. " * 40, "body_format": "markdown",
    "body_html": "<p>The café on Quay Street reopened on Tuesday.</p>" * 40, "slug_explicit": False,
    "excerpt": "The café on Quay Street reopened on Tuesday.", "word_count": Decimal(412),
    "reading_minutes": Decimal(2), "editor_tags": [{"key": "local-news", "label": "Local News"}],
    "auto_tags": [{"key": "flood", "label": "flood"}, {"key": "quay-street", "label": "Quay Street"}],
    "source_key": "incoming/cafe reopens.md", "content_hash": "5f0c" * 16, "revision": Decimal(1),
    "correlation_id": "3f1e2d4c5b6a7980", "state": "published", "publish_at": "2026-11-25T09:30:00Z",
    "expires_at": None, "notify": True,
}  # fmt: skip
ENTRY = {
    "slug": "harbour-floods",
    "title": "Harbour floods again",
    "excerpt": "Water rose...",
    "score": 0.8123,
}

# The alternatives, as source: run in this process for the per-record figures, and alone in a fresh
# process for the import figures.
# The alternatives, derived from the dataclasses themselves (so they stay in step), as source: run in
# this process for the per-record figures, and alone in a fresh process for the import figures.
FIELDS = """
import dataclasses, typing
from newsdrop.models import Article, RelatedEntry, Tag

def fields(cls):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = ... if required else (f.default if f.default is not dataclasses.MISSING else f.default_factory())
        yield f.name, hints[f.name], required, default
"""
PYDANTIC_MODELS = (
    FIELDS
    + """
from pydantic import ConfigDict, create_model

def model(cls, **override):
    spec = {name: (override.get(name, kind), default) for name, kind, _, default in fields(cls)}
    return create_model(cls.__name__ + "Model", __config__=ConfigDict(extra="ignore"), **spec)

TagModel = model(Tag)
ArticleModel = model(Article, editor_tags=list[TagModel], auto_tags=list[TagModel])
RelatedEntryModel = model(RelatedEntry)
"""
)
TYPED_DICTS = (
    FIELDS
    + """
from typing import NotRequired
from typing_extensions import TypedDict
from pydantic import TypeAdapter

def typed(cls, **override):
    spec = {n: override.get(n, k) if r else NotRequired[override.get(n, k)] for n, k, r, _ in fields(cls)}
    return TypedDict(cls.__name__ + "Dict", spec)

TagDict = typed(Tag)
ARTICLE = TypeAdapter(typed(Article, editor_tags=list[TagDict], auto_tags=list[TagDict]))
ENTRY = TypeAdapter(typed(RelatedEntry))
"""
)


def defined(source: str) -> dict:
    """The names ``source`` defines, compiled without this module's ``from __future__ import
    annotations`` (pydantic would then have to resolve the annotations as strings)."""
    names: dict = {"__name__": "alternative"}
    exec(compile(source, "<alternative>", "exec", dont_inherit=True), names)  # noqa: S102 (ours, above)
    return names


def per_read(fn, data, n: int) -> float:
    """Microseconds of CPU per read, best of 5 runs of n."""
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(n):
            fn(data)
        best = min(best, time.process_time() - start)
    return best / n * 1e6


def import_cpu(code: str, rounds: int) -> float:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYENV_VERSION")}
    env["PYTHONPATH"] = str(ROOT / "shared")
    times = []
    for _ in range(rounds):
        before = os.times()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        after = os.times()
        times.append(
            (after.children_user - before.children_user) + (after.children_system - before.children_system)
        )
    return statistics.median(times) * 1e3


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reads", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--smoke", action="store_true", help="200 reads, 1 import round (CI)")
    args = p.parse_args(argv)
    reads, rounds = (200, 1) if args.smoke else (args.reads, args.rounds)

    from newsdrop.models import RelatedEntry, article_from_json

    models, adapters = defined(PYDANTIC_MODELS), defined(TYPED_DICTS)
    # every form reads the same values (the TypedDict keeps the item's own keys too: it ignores none)
    dataclass_article = article_from_json(ITEM)
    model_article = models["ArticleModel"].model_validate(ITEM)
    typed_article = adapters["ARTICLE"].validate_python(ITEM)
    assert dataclass_article.published == model_article.published == typed_article["published"]
    assert dataclass_article.word_count == model_article.word_count == typed_article["word_count"] == 412

    print(f"{reads:,} reads, best of 5; imports: {rounds} rounds, medians; {sys.version.split()[0]}")
    print(
        "| form | Article read, µs | RelatedEntry read, µs | import + define, CPU ms over the dataclasses "
        "| define, in a process that already built one pydantic model |"
    )
    print("|---|---|---|---|---|")
    base = import_cpu("import newsdrop.models", rounds)
    # every function now builds its event model with pydantic: what the records would add to that
    warm = "import newsdrop.models\nimport pydantic\nclass First(pydantic.BaseModel):\n    n: int\n"
    warm_base = import_cpu(warm, rounds)
    rows = [
        ("dataclasses (today: article_from_json, RelatedEntry(**item))", article_from_json,
         lambda e: RelatedEntry(**e), None),
        ("pydantic models (model_validate)", models["ArticleModel"].model_validate,
         models["RelatedEntryModel"].model_validate, PYDANTIC_MODELS),
        ("TypeAdapter over TypedDicts (validate_python)", adapters["ARTICLE"].validate_python,
         adapters["ENTRY"].validate_python, TYPED_DICTS),
    ]  # fmt: skip
    for label, article, entry, source in rows:
        cold = warmed = "-"
        if source is not None:
            cold = f"{import_cpu('import newsdrop.models' + chr(10) + source, rounds) - base:+,.0f}"
            warmed = f"{import_cpu(warm + source, rounds) - warm_base:+,.0f}"
        print(
            f"| {label} | {per_read(article, ITEM, reads):.1f} | {per_read(entry, ENTRY, reads):.2f} "
            f"| {cold} | {warmed} |",
            flush=True,
        )
    print(f"\n`import newsdrop.models` alone: {base:,.0f} ms CPU (whole process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
