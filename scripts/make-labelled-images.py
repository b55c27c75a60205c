#!/usr/bin/env python3
"""Writes Inputs/labelled/: a tiny labelled image set in the ImageFolder layout (one folder per class), made
from the five photos of Inputs/images/ — each photo is a class, and its images are four views of it (the
centre, the centre mirrored, the top-left and the bottom-right 70 % of the photo), 64×64, JPEG.

It exists so that the README's graph-network sweep (Inputs/sweeps/mobilenet-v2-imported.yaml) has labels to
measure top-1/top-5 accuracy against. It is not a benchmark: five classes, twenty images.

With `--train DIR` it writes instead a TRAINING set of the same five classes into DIR (same layout, same
64×64 JPEGs): `--per-class N` random views of each photo (seeded by `--seed`) — a random square crop of 40–100 %
of the shorter side, mirrored or not, brightness, contrast and saturation each scaled by a factor in
[0.75, 1.25]. No training view is near a test view: a crop whose intersection over union with a test view of the
same orientation exceeds 0.5 is drawn again, and every training view is colour-jittered. scripts/train-head.py
uses it to fit the classifier of Inputs/models/mnv2-trained-head.onnx.

Regenerate from the repository's root with Pillow (Debian's python3-pil, or a throw-away virtual environment; Pillow
is not a BitSweep dependency, as for Inputs/images/):

    python3 scripts/make-labelled-images.py                               # Inputs/labelled/ (the test set)
    python3 scripts/make-labelled-images.py --train .build/labelled-train # a training set (not committed)
"""
import argparse
import os
import random

from PIL import Image, ImageEnhance, ImageOps

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
MAX_IOU = 0.5          # a training crop overlaps every test crop of its orientation less than this
JITTER = (0.75, 1.25)  # brightness, contrast and saturation factors of a training view


def square(img, left, top, side):
    return img.crop((left, top, left + side, top + side)).resize((SIDE, SIDE), Image.BILINEAR)


def test_boxes(w, h):
    """The test views as (name, left, top, side, mirrored)."""
    s = min(w, h)
    centre = int(s * 0.8)
    corner = int(s * 0.7)
    c = ((w - centre) // 2, (h - centre) // 2, centre)
    return [("centre", *c, False), ("mirrored", *c, True),
            ("top-left", 0, 0, corner, False), ("bottom-right", w - corner, h - corner, corner, False)]


def views(img):
    w, h = img.size
    for name, left, top, side, mirrored in test_boxes(w, h):
        v = square(img, left, top, side)
        yield name, ImageOps.mirror(v) if mirrored else v


def iou(a, b):
    (al, at, asd), (bl, bt, bsd) = a, b
    iw = max(0, min(al + asd, bl + bsd) - max(al, bl))
    ih = max(0, min(at + asd, bt + bsd) - max(at, bt))
    inter = iw * ih
    return inter / (asd * asd + bsd * bsd - inter)


def training_views(img, rng, count):
    """`count` random views of `img`, none near a test view (see the module's docstring)."""
    w, h = img.size
    s = min(w, h)
    tests = test_boxes(w, h)
    made = 0
    while made < count:
        side = rng.randint(int(0.4 * s), s)
        box = (rng.randint(0, w - side), rng.randint(0, h - side), side)
        mirrored = rng.random() < 0.5
        if any(m == mirrored and iou(box, (l, t, sd)) > MAX_IOU for _, l, t, sd, m in tests):
            continue
        v = square(img, *box)
        if mirrored:
            v = ImageOps.mirror(v)
        for enhance in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
            v = enhance(v).enhance(rng.uniform(*JITTER))
        made += 1
        yield f"train-{made:04d}", v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", metavar="DIR", help="write a training set into DIR instead of Inputs/labelled/")
    ap.add_argument("--per-class", type=int, default=100, help="training views per class (default 100)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the training views (default 0)")
    args = ap.parse_args()
    out = args.train or OUT
    for index, (cls, name) in enumerate(sorted(CLASSES.items())):
        img = Image.open(os.path.join(SOURCE, name)).convert("RGB")
        folder = os.path.join(out, cls)
        os.makedirs(folder, exist_ok=True)
        if args.train:
            made = training_views(img, random.Random(args.seed * 1000 + index), args.per_class)
        else:
            made = views(img)
        for view, v in made:
            v.save(os.path.join(folder, f"{cls}-{view}.jpg"), quality=90, optimize=False)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
