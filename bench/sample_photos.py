"""Draws the samples' photos with Pillow, the same bytes every run (no randomness, nothing downloaded):
samples/harbour-storm-repairs/harbour.jpg (a harbour at dawn, with EXIF orientation and GPS tags that
the image function must apply and strip) and sea-wall.png (a chart). `bench/images.py` times the image
function's work on the same drawing.

    .venv/bin/python bench/sample_photos.py            # (re)write the files in samples/
    .venv/bin/python bench/sample_photos.py --smoke    # draw into a temporary folder, check, write nothing
"""

from __future__ import annotations

import argparse
import io
import math
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

BUNDLE = Path(__file__).resolve().parents[1] / "samples" / "harbour-storm-repairs"


def harbour(width: int = 2000, height: int = 1333) -> Image.Image:
    """A harbour at dawn: a graded sky, a sun, a lighthouse on a sea wall, boats on a rippled sea."""
    sky = Image.linear_gradient("L").resize((width, height))
    image = Image.merge(
        "RGB",
        (
            sky.point(lambda v: 250 - v // 3),
            sky.point(lambda v: 170 + v // 4),
            sky.point(lambda v: 120 + v // 2),
        ),
    )
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.62)
    draw.ellipse(
        (width * 0.62, horizon - height * 0.2, width * 0.74, horizon - height * 0.02), fill=(255, 214, 140)
    )
    for row in range(horizon, height, 6):  # the sea, darker towards the viewer, with ripples
        depth = (row - horizon) / (height - horizon)
        colour = (int(40 - 25 * depth), int(90 - 40 * depth), int(130 - 50 * depth))
        points = [(x, row + 3 * math.sin(x / 37 + row / 11)) for x in range(0, width + 40, 40)]
        draw.line(points, fill=colour, width=7)
    wall_top = horizon - int(height * 0.04)
    draw.rectangle((0, wall_top, int(width * 0.45), horizon + 12), fill=(96, 92, 88))
    tower = int(width * 0.08)
    draw.rectangle((tower, wall_top - int(height * 0.3), tower + 60, wall_top), fill=(235, 235, 228))
    for band in range(3):
        top = wall_top - int(height * 0.3) + 40 + band * 110
        draw.rectangle((tower, top, tower + 60, top + 40), fill=(190, 40, 40))
    draw.polygon([(tower - 10, wall_top - int(height * 0.3)), (tower + 70, wall_top - int(height * 0.3)),
                  (tower + 30, wall_top - int(height * 0.34))], fill=(60, 60, 60))  # fmt: skip
    for i, x in enumerate(range(int(width * 0.5), width - 100, int(width * 0.12))):
        y = horizon + 60 + 40 * (i % 2)
        draw.polygon([(x, y), (x + 160, y), (x + 130, y + 40), (x + 25, y + 40)], fill=(150 + 20 * i, 60, 40))
        draw.line([(x + 80, y), (x + 80, y - 150)], fill=(40, 30, 30), width=5)
        draw.polygon([(x + 84, y - 145), (x + 84, y - 20), (x + 150, y - 20)], fill=(245, 240, 225))
    return image


def sea_wall_chart(width: int = 1200, height: int = 700) -> Image.Image:
    """Repairs per month as bars: a drawing, so a PNG."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    values = [3, 5, 8, 13, 11, 7, 4, 2]
    base, left, step = height - 80, 100, (width - 160) // len(values)
    draw.line([(left - 10, 40), (left - 10, base), (width - 40, base)], fill="black", width=3)
    for i, value in enumerate(values):
        x = left + i * step
        draw.rectangle((x + 10, base - value * 40, x + step - 10, base), fill=(11, 87, 208))
    return image


def jpeg_with_metadata(image: Image.Image) -> bytes:
    """The photo stored sideways with EXIF orientation 8 (turn 90 degrees counter-clockwise to view), as
    a phone held upright writes it, and the GPS position of the quay."""
    exif = Image.Exif()
    exif[0x0112] = 8
    exif[0x010F] = "Newsdrop Sample Camera"
    exif.get_ifd(0x8825).update({1: "N", 2: (50.0, 7.0, 12.0), 3: "W", 4: (5.0, 3.0, 30.0)})
    out = io.BytesIO()
    image.transpose(Image.Transpose.ROTATE_270).save(out, "JPEG", quality=82, exif=exif.tobytes())
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def write(folder: Path) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"harbour.jpg": jpeg_with_metadata(harbour()), "sea-wall.png": png(sea_wall_chart())}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: len(data) for name, data in files.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="draw into a temporary folder; write nothing")
    args = p.parse_args(argv)
    if args.smoke:
        with tempfile.TemporaryDirectory() as tmp:
            sizes = write(Path(tmp))
            upright = Image.open(Path(tmp) / "harbour.jpg")
            assert upright.size == (1333, 2000) and upright.getexif()[0x0112] == 8  # stored sideways
    else:
        sizes = write(BUNDLE)
    for name, size in sizes.items():
        print(f"{name:<14}{size / 1e3:>8,.1f} kB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
