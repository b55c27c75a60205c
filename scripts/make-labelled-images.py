#!/usr/bin/env python3
"""Writes Inputs/labelled/: a tiny labelled image set in the ImageFolder layout (one folder per class), made
from the five photos of Inputs/images/ — each photo is a class, and its images are four views of it (the
centre, the centre mirrored, the top-left and the bottom-right 70 % of the photo), 64×64, JPEG.

It exists so that the README's graph-network sweep (Inputs/sweeps/mobilenet-v2-imported.yaml) has labels to
measure top-1/top-5 accuracy against. It is not a benchmark: five classes, twenty images.

Regenerate from the repository's root with Pillow (Debian's python3-pil, or a throw-away virtual environment; Pillow
is not a BitSweep dependency, as for Inputs/images/):

    python3 scripts/make-labelled-images.py
"""
import os

from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "Inputs", "images")
OUT = os.path.join(ROOT, "Inputs", "labelled")
SIDE = 64
CLASSES = {
    "astronaut": "astronaut-rgb.png",
    "camera": "camera-grey.png",
    "cat": "chelsea.jpg",
    "coffee": "coffee-palette.png",
    "rocket": "rocket-progressive.jpg",
}


def square(img, left, top, side):
    return img.crop((left, top, left + side, top + side)).resize((SIDE, SIDE), Image.BILINEAR)


def views(img):
    w, h = img.size
    s = min(w, h)
    centre = int(s * 0.8)
    corner = int(s * 0.7)
    c = square(img, (w - centre) // 2, (h - centre) // 2, centre)
    yield "centre", c
    yield "mirrored", ImageOps.mirror(c)
    yield "top-left", square(img, 0, 0, corner)
    yield "bottom-right", square(img, w - corner, h - corner, corner)


def main():
    for cls, name in sorted(CLASSES.items()):
        img = Image.open(os.path.join(SOURCE, name)).convert("RGB")
        folder = os.path.join(OUT, cls)
        os.makedirs(folder, exist_ok=True)
        for view, v in views(img):
            v.save(os.path.join(folder, f"{cls}-{view}.jpg"), quality=90, optimize=False)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
