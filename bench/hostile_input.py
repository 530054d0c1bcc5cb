"""How long hostile input takes, in the libraries and through the ingest parser (the function's worst cases).

    .venv/bin/python bench/hostile_input.py                  # 64 KB, 512 KB, 2 MiB for every input class
    .venv/bin/python bench/hostile_input.py --smoke          # 16 KB only (CI)
    .venv/bin/python bench/hostile_input.py --skip-over 30   # skip a size whose estimate passes 30 s

Part 1 times each library on repeated constructs (``*a ``, ``[``, ``<<x>``, backticks, ``<p>x``,
``<a b='``...): markdown-it-py rendering Markdown, nh3 sanitizing HTML, selectolax extracting an article
(and justhtml, if installed, for the choice between the two parsers). "us/B" is microseconds per byte: a
flat column means linear time. Part 2 runs ``newsdrop.ingest.parsing.parse_article`` (what the ingest
handler runs) on the same inputs as files: a body too large for one stored item is refused before any
rendering, so the worst case per file is bounded by the Markdown cap (200 KB), not by the 2 MiB file limit.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from newsdrop.ingest import body, html_article  # noqa: E402
from newsdrop.ingest.parsing import parse_article  # noqa: E402
from newsdrop.models import MAX_OBJECT_BYTES, RejectedInput  # noqa: E402

MARKDOWN_UNITS = [
    "*a ",
    "_a ",
    "[",
    "![",
    "[a](",
    "[^",
    "<<x>",
    "`",
    "~~a ",
    "&#",
    "<p>x",
    "<a b='",
    "> ",
    "- ",
]
HTML_UNITS = [
    "<div>",
    "<a b='",
    "<p>x",
    "<<x>",
    "<!--",
    "</",
    "<a\n",
    "<table><td>",
    "&#",
    "<noscript><img src=x>",
]
SIZES = [64 * 1024, 512 * 1024, MAX_OBJECT_BYTES]


def yaml_alias_bomb() -> bytes:
    lines = ["---", "title: T", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join([*lines, "---", "Body"]).encode()


def _justhtml() -> Callable[[str], object] | None:
    try:
        from justhtml import JustHTML  # optional: only to compare with selectolax
    except ImportError:
        return None
    return JustHTML


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def libraries(sizes: list[int], skip_over: float | None) -> None:
    from selectolax.lexbor import LexborHTMLParser

    engines: list[tuple[str, list[str], Callable[[str], object]]] = [
        ("markdown-it-py render", MARKDOWN_UNITS, body.render_markdown),
        ("nh3 sanitize", HTML_UNITS + ["*a ", "["], body.sanitize),
        ("selectolax parse", HTML_UNITS, LexborHTMLParser),
        ("selectolax article", HTML_UNITS, html_article.parse_page),
    ]
    just = _justhtml()
    if just is not None:
        engines.append(("justhtml parse", HTML_UNITS, just))
    print("Part 1: the libraries on repeated constructs (s, and us per byte)")
    print(f"{'library':24} {'input':24}" + "".join(f"{f'{s // 1024:,} KB':>20}" for s in sizes))
    for name, units, fn in engines:
        for unit in units:
            cells, last = [], None
            for size in sizes:
                text = unit * (size // len(unit))
                if skip_over and last and last[1] * size / last[0] > skip_over:
                    cells.append(f"{'skipped (~' + format(last[1] * size / last[0], '.0f') + ' s)':>20}")
                    continue
                seconds = timed(lambda text=text, fn=fn: fn(text))
                last = (size, seconds)
                cells.append(f"{seconds:>9.3f} s {seconds / size * 1e6:>6.2f}us/B")
            print(f"{name:24} {unit!r:24}" + "".join(cells), flush=True)


def ingest(sizes: list[int]) -> None:
    print("\nPart 2: parse_article, what the ingest handler runs on a dropped file")
    print(f"{'case':44} {'bytes':>10} {'ms':>9}  outcome")
    cases = [("YAML alias bomb (9^10 nodes)", yaml_alias_bomb(), "a.md")]
    cases.append(
        ("YAML nested 100 deep", ("---\ntitle: T\nx: " + "[" * 100 + "]" * 100 + "\n---\nB").encode(), "a.md")
    )
    for unit in MARKDOWN_UNITS:
        for size in sizes:
            text = "---\ntitle: T\n---\n" + unit * (size // len(unit))
            cases.append((f"Markdown {unit!r} x {size // len(unit):,}", text.encode(), "x.md"))
    for unit in HTML_UNITS:
        for size in sizes:
            cases.append(
                (f"HTML {unit!r} x {size // len(unit):,}", (unit * (size // len(unit))).encode(), "x.html")
            )
    # The largest Markdown that is rendered at all, in the slowest class measured above.
    if sizes[-1] >= 200 * 1024:
        cap = "---\ntitle: T\n---\n" + "![" * (100 * 1024 - 10)
        cases.append(("Markdown '![' at the 200 KB cap", cap.encode(), "x.md"))
    for name, data, filename in cases:
        start = time.perf_counter()
        try:
            parse_article(data, filename)
            outcome = "parsed"
        except RejectedInput as err:
            outcome = f"rejected: {err.reason.value}"
        ms = (time.perf_counter() - start) * 1000
        print(f"{name[:44]:44} {len(data):>10,} {ms:>9.1f}  {outcome}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="16 KB inputs only (seconds, for CI)")
    parser.add_argument("--skip-over", type=float, help="skip a size whose linear estimate passes this (s)")
    parser.add_argument("--part", choices=["libraries", "ingest", "both"], default="both")
    args = parser.parse_args(argv)
    sizes = [16 * 1024] if args.smoke else SIZES
    if args.part in ("libraries", "both"):
        libraries(sizes, args.skip_over)
    if args.part in ("ingest", "both"):
        ingest(sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
