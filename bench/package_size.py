"""Size of what `sam build` produced: per function and for the layer, unzipped and zipped (what Lambda
downloads on a cold start). Run after `make deploy-checks` (or any `sam build`).

    .venv/bin/python bench/package_size.py
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

BUILD = Path(__file__).resolve().parents[1] / ".aws-sam" / "build"


def sizes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in files:
            zf.write(p, p.relative_to(folder))
    return sum(p.stat().st_size for p in files), len(buf.getvalue())


def main() -> int:
    if not BUILD.exists():
        print(f"no build at {BUILD}: run `make deploy-checks` (sam build) first", file=sys.stderr)
        return 1
    print(f"{'artifact':<24}{'unzipped':>12}{'zipped':>12}")
    for folder in sorted(p for p in BUILD.iterdir() if p.is_dir()):
        raw, packed = sizes(folder)
        print(f"{folder.name:<24}{raw / 1e3:>10,.0f}kB{packed / 1e3:>10,.0f}kB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
