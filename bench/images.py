"""Time per photo of the image function's work (newsdrop.images.process.process: the checks, decoding,
orientation, sRGB, every WebP and JPEG rendition), on the samples' harbour drawing at a few sizes, and the
time to refuse a decompression bomb. CPU time of this process, the median of the runs; S3 and DynamoDB
calls are not included (moto would time moto).

    nice -n 10 .venv/bin/python bench/images.py             # 12, 24 and 48 megapixels, 5 runs each
    .venv/bin/python bench/images.py --smoke                # one small photo, one run (CI)
"""

from __future__ import annotations

import argparse
import io
import statistics
import struct
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_photos import harbour  # noqa: E402

from newsdrop.images.process import process  # noqa: E402
from newsdrop.models import RejectedInput  # noqa: E402

SIZES = [(4000, 3000), (6000, 4000), (8000, 6000)]  # 12, 24 and 48 megapixels: phones and cameras


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    harbour(width, height).save(out, "JPEG", quality=90)
    return out.getvalue()


def bomb() -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def cpu_seconds(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return statistics.median(times)


def refuse(data: bytes) -> None:
    try:
        process(data, "incoming/bomb.png")
    except RejectedInput:
        return
    raise AssertionError("the bomb was not refused")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="one 1600 x 1067 photo, one run")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    sizes, runs = ([(1600, 1067)], 1) if args.smoke else (SIZES, args.runs)
    print(f"{'photo':<22}{'file':>10}{'renditions':>12}{'written':>10}{'CPU s':>8}")
    for width, height in sizes:
        data = jpeg(width, height)
        result = process(data, "incoming/harbour.jpg")
        written = sum(len(r.body) for r in result.renditions)
        seconds = cpu_seconds(lambda data=data: process(data, "incoming/harbour.jpg"), runs)
        label = f"{width} x {height} JPEG"
        print(
            f"{label:<22}{len(data) / 1e6:>8.1f}MB{len(result.renditions):>12}{written / 1e3:>8,.0f}kB{seconds:>8.2f}"
        )
    data = bomb()
    seconds = cpu_seconds(lambda: refuse(data), runs)
    print(f"{'bomb (10,000 MP PNG)':<22}{len(data) / 1e3:>8.1f}kB{'refused':>12}{'0':>8}kB{seconds:>8.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
