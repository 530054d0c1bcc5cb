"""Size of what `sam build` produced: per function, what Lambda downloads on a cold start (its layers:
the newsdrop layer and the library layers template.yaml attaches to it, + the function's code), unzipped
and zipped; and each artifact alone. Run after
`make deploy-checks` (or any `sam build`).

    .venv/bin/python bench/package_size.py
    .venv/bin/python bench/package_size.py --smoke   # the same (it only reads the build); CI
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import zipfile
from pathlib import Path

BUILD = Path(__file__).resolve().parents[1] / ".aws-sam" / "build"
# Zipped bytes a function may deploy (layers + code): our budget, far below Lambda's own (50 MB zipped,
# 250 MB unzipped), to catch a library pulled in by accident. pydantic (in the newsdrop layer: +3.3 MB
# zipped, most of it pydantic-core's compiled validator) took the subscribe, confirmations and image
# functions from about 7-7.5 MB to 10.3-10.5 MB, so the budget went from 10 to 12 MB.
LIMIT = 12e6
LAYER = "NewsdropLayer"
# The functions that embed articles (related, rebuild) carry all-MiniLM-L6-v2: 91 MB of float32 weights
# that barely compress (docs/related.md). They get the limit plus the embedding layer's 110 MB, so everything
# else they deploy stays held to the same budget.
MODEL_LAYER = "EmbeddingLayer"
MODEL_ALLOWANCE = 110e6  # EmbeddingLayer zipped: 106.5 MB (numpy 2.4.6, tokenizers, the model), arm64
TEMPLATE = BUILD.parents[1] / "template.yaml"


def sizes(*folders: Path) -> tuple[int, int]:
    """(unzipped, zipped) bytes of the folders' files together."""
    files = [(folder, p) for folder in folders for p in folder.rglob("*") if p.is_file()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for folder, p in files:
            zf.write(p, p.relative_to(folder))
    return sum(p.stat().st_size for _, p in files), len(buf.getvalue())


def function_folders() -> dict[str, Path]:
    """functions/<name> -> its build folder (sam names it after the logical id, e.g. IngestFunction)."""
    if not BUILD.exists():
        return {}
    out = {}
    for folder in sorted(p for p in BUILD.iterdir() if p.is_dir() and not p.name.endswith("Layer")):
        if (folder / "app.py").exists():
            # UnsubscribeMailFunction -> unsubscribe_mail, as the functions/ folder is named
            out[re.sub(r"(?<!^)(?=[A-Z])", "_", folder.name.removesuffix("Function")).lower()] = folder
    return out


def layers_of(function_folder: Path) -> list[Path]:
    """The build folders of the layers a function deploys with: Globals' then its own (template.yaml)."""
    sys.path.insert(0, str(BUILD.parents[1] / "shared"))
    from newsdrop.local.sam import load_template

    template = load_template(TEMPLATE)
    own = template["Resources"][function_folder.name]["Properties"].get("Layers", [])
    shared = template.get("Globals", {}).get("Function", {}).get("Layers", [])
    return [BUILD / ref["Ref"] for ref in [*shared, *own]]


def function_sizes() -> dict[str, tuple[int, int]]:
    """functions/<name> -> (unzipped, zipped) of its layers + its code."""
    if not (BUILD / LAYER).exists():
        return {}
    return {name: sizes(*layers_of(folder), folder) for name, folder in function_folders().items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="same as without (reading the build is quick)")
    p.parse_args(argv)
    if not BUILD.exists():
        print(f"no build at {BUILD}: run `make deploy-checks` (sam build) first", file=sys.stderr)
        return 0
    print(f"{'artifact':<24}{'unzipped':>12}{'zipped':>12}")
    for folder in sorted(p for p in BUILD.iterdir() if p.is_dir()):
        raw, packed = sizes(folder)
        print(f"{folder.name:<24}{raw / 1e3:>10,.0f}kB{packed / 1e3:>10,.0f}kB")
    print(f"\n{'function deploys':<24}{'unzipped':>12}{'zipped':>12}  (layers + code)")
    over = []
    folders = function_folders()
    for name, (raw, packed) in function_sizes().items():
        print(f"{name:<24}{raw / 1e3:>10,.0f}kB{packed / 1e3:>10,.0f}kB")
        embeds = any(layer.name == MODEL_LAYER for layer in layers_of(folders[name]))
        if packed > LIMIT + (MODEL_ALLOWANCE if embeds else 0):
            over.append(name)
    if over:
        print(f"over {LIMIT / 1e6:.0f} MB zipped: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
