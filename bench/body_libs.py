"""What the article-body libraries cost the ingest function: package size, import time, first render.

    .venv/bin/python bench/body_libs.py            # 15 fresh interpreters per measurement
    .venv/bin/python bench/body_libs.py --smoke    # 3 per measurement (CI)

Sizes are the installed files of each distribution (its RECORD), unzipped and deflated as Lambda would
download them; the wheels on arm64 / cp313 that `sam build` fetches are of the same order. Import times
are medians of fresh `python -c` processes: each library alone (minus a bare interpreter), the ingest
handler module as it is (the libraries are imported on first use, so they should add nothing here), and
the handler followed by one Markdown and one HTML body (what the first article of a cold container pays).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from cold_start import template_env  # noqa: E402

INGEST_ENV = template_env()["ingest"]
DISTRIBUTIONS = ["nh3", "markdown-it-py", "mdurl", "selectolax", "justhtml"]
IMPORTS = {
    "nh3": "import nh3",
    "markdown-it-py": "import markdown_it",
    "selectolax": "import selectolax.lexbor",
}
IMPORTS["justhtml"] = "import justhtml"
# What Lambda does on a cold start: import the handler module, with the checkout's own `shared/` (the
# editable install's finder is set aside, so --before really imports the other checkout's code).
HANDLER = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
    "sys.path[:0] = ['functions/ingest', 'shared']; import app"
)
FIRST_BODIES = (
    HANDLER + "; from newsdrop.ingest.parsing import parse_article; "
    "parse_article(b'# T\\n\\nSome *text* with [a link](https://x.example).', 'a.md'); "
    "parse_article(b'<article><h1>T</h1><p>Text.</p></article>', 'a.html')"
)


def package_size(name: str) -> tuple[int, int] | None:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    base = Path(dist.locate_file(""))
    files = [Path(dist.locate_file(f)) for f in dist.files or []]
    files = [f for f in files if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, str(f.relative_to(base)) if f.is_relative_to(base) else f.name)
    return sum(f.stat().st_size for f in files), len(buf.getvalue())


def median_seconds(code: str, runs: int, cwd: Path = ROOT) -> float:
    env = {
        **os.environ,
        **INGEST_ENV,  # what the template gives the function, so the handler module can be imported
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Newsdrop",
    }
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=cwd, env=env, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per measurement")
    parser.add_argument(
        "--before", type=Path, help="another checkout (e.g. main before issue 12): its handler import, paired"
    )
    args = parser.parse_args(argv)
    runs = 3 if args.smoke else args.runs

    print(f"{'distribution':16}{'unzipped':>12}{'zipped':>12}{'import (ms)':>14}")
    bare = median_seconds("pass", runs)
    for name in DISTRIBUTIONS:
        size = package_size(name)
        if size is None:
            print(f"{name:16}{'not installed':>24}")
            continue
        ms = (median_seconds(IMPORTS[name], runs) - bare) * 1000 if name in IMPORTS else float("nan")
        print(f"{name:16}{size[0] / 1e6:>10.2f}MB{size[1] / 1e6:>10.2f}MB{ms:>14.1f}")

    handler = median_seconds(HANDLER, runs)
    eager = median_seconds(HANDLER + "; import nh3, markdown_it, selectolax.lexbor", runs)
    first = median_seconds(FIRST_BODIES, runs)
    print(
        f"\ningest handler cold import (python -c, median of {runs}, bare interpreter {bare * 1000:.0f} ms):"
    )
    print(f"  import app                                   {handler * 1000:8.1f} ms")
    print(f"  import app + the three libraries eagerly     {eager * 1000:8.1f} ms")
    print(f"  import app + first Markdown and HTML body    {first * 1000:8.1f} ms")
    loaded = subprocess.run(
        [sys.executable, "-c", HANDLER + "; print(sorted(m for m in ('nh3', 'markdown_it', 'selectolax') "
         "if m in sys.modules))"],
        cwd=ROOT, env={**os.environ, **INGEST_ENV, "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    print(f"  body libraries loaded by `import app`: {loaded}")
    if args.before:
        pairs = [(median_seconds(HANDLER, 1, args.before), median_seconds(HANDLER, 1)) for _ in range(runs)]
        before = statistics.median(p[0] for p in pairs)
        after = statistics.median(p[1] for p in pairs)
        print(
            f"  paired, alternating: {args.before} {before * 1000:.1f} ms, this checkout {after * 1000:.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
