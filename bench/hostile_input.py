"""How long the parser takes to refuse or parse hostile input (the ingest function's worst cases).

    .venv/bin/python bench/hostile_input.py
    .venv/bin/python bench/hostile_input.py --smoke   # the ~300 KB cases only (CI)

Each case is parsed through ``newsdrop.ingest.parsing.parse_article`` (what the ingest handler runs) and its
outcome and time are printed. The HTML cases repeat one unclosed construct up to ~300 KB and to the 2 MiB
object limit: time should grow linearly with size (html.parser took minutes on some of them)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from newsdrop.ingest.parsing import parse_article  # noqa: E402
from newsdrop.models import MAX_OBJECT_BYTES, RejectedInput  # noqa: E402


def yaml_alias_bomb() -> bytes:
    lines = ["---", "title: T", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join([*lines, "---", "Body"]).encode()


def cases(sizes: tuple[int, ...] = (300_000, MAX_OBJECT_BYTES - 1)) -> list[tuple[str, bytes, str]]:
    out = [("YAML alias bomb (9^10 nodes)", yaml_alias_bomb(), "a.md")]
    out.append(
        ("YAML nested 100 deep", ("---\ntitle: T\nx: " + "[" * 100 + "]" * 100 + "\n---\nB").encode(), "a.md")
    )
    for unit in ("<a\n", "<a b='", "<!--", "<p>x", "</"):
        for size in sizes:
            out.append(
                (f"HTML {unit!r} x {size // len(unit):,}", (unit * (size // len(unit))).encode(), "x.html")
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="the ~300 KB cases only (CI)")
    args = parser.parse_args(argv)
    print(f"{'case':44} {'bytes':>10} {'ms':>9}  outcome")
    for name, data, filename in cases((300_000,) if args.smoke else (300_000, MAX_OBJECT_BYTES - 1)):
        start = time.perf_counter()
        try:
            parse_article(data, filename)
            outcome = "parsed"
        except RejectedInput as err:
            outcome = f"rejected: {err.reason.value}"
        ms = (time.perf_counter() - start) * 1000
        print(f"{name:44} {len(data):>10,} {ms:>9.1f}  {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
