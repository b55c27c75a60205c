#!/usr/bin/env python3
"""Calibrated activation ranges through `bitsweep export` and ONNX Runtime.

For minmax and percentile:99 (seed preset, 4 blocks, 32×32, w8, 8- and 4-bit activations) and for float and
integer kernels: four random RGB PNGs at the network's size (pixels / 255 are exactly the network's input) go
through `bitsweep infer --calibrate C --format json` (which calibrates on them) and through the model
`bitsweep export --calibrate C --calibration-images <the same files>` writes, run in onnxruntime (CPU). The model
is checked by onnx.checker, and its metadata must name the method. The logits must agree: max |bitsweep − ORT| /
max |ORT| ≤ 1e-4 and top-1 equal on every image — which holds only if the export carries the very ranges the
engine calibrated (with the fixed [0, 6] grid instead they differ by far more: checked as well, so that the
agreement cannot come from ranges that change nothing). For float kernels the model is also read back:
`infer --model` on it must give infer --calibrate's logits (max relative difference ≤ 1e-6), and written again by
`export --model` (a graph network with calibrated ReLU6 ranges) it must run in ORT as `infer --model` runs it (≤ 1e-4).

Graph networks (the committed fixture Tests/Fixtures/onnx/mnv2-folded.onnx at 32×32, and the mobilenet-v2 preset
α 0.35 at 32×32), exported with `--calibrate C --calibration-images <files>`: every quantized step output gets the
static grid `infer --calibrate` measured — Clip(0, R) / Clip(−R, R) then QDQ of scale R/L — so the model's QDQ
scales, in step order, must be the `scale` values of infer's JSON `calibration.layers` (read from the file, not from
export's table), with no per-image quantization left. ORT runs the model as written (graph optimisations off) and
must agree with `infer --calibrate --kernels float` within the graph check's tolerances (check_graph_onnx_export.py:
with quantized activations the float sums of ORT and oneDNN can land on the two sides of a grid's rounding
boundary and flip one code, so the median image ≤ 1e-4, every image ≤ 1e-2, top-1 equal on all but at most one
image); the uncalibrated export must differ by more. Read back, `infer --model exported.onnx` must give `infer
--calibrate`'s logits on float kernels and on auto (int8 where the grids allow) — reported, required ≤ 1e-6
relative — and `export --model exported.onnx` writes the same grids again (ORT within the same tolerances).
The export is the simulated run (float kernels); `infer --kernels auto` runs the convolutions it can on int8
kernels, whose requantization rounds its own way, and reports that difference itself (`simulated_sqnr_db`: the
integer run's logits against the simulated run's). So the SQNR of infer's auto logits against ORT's on the export
must be infer's own figure within 0.1 dB, and at least 100 dB where infer reports +∞ (the integer run equals the
simulated one; what is left is ORT's float rounding) — on every image where ORT and the simulated run agree to
1e-4 (an image with a flipped code between those two is left out and named).

Usage: check_calibrated_export.py BITSWEEP_BINARY WORK_DIR
Prints one line per check and a summary `N passed, M failed`; exits 1 when any check failed.
"""
import json
import math
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "scripts"))
from ort_common import Checks, median, random_images, run_bitsweep, sqnr_db  # noqa: E402

BINARY, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
check = Checks()


def run(args):
    return run_bitsweep(BINARY, args)


def ort_logits(model, x, optimizations=True):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 1
    if not optimizations:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"]).run(["logits"], {"input": x})[0]


def infer_json(args):
    return json.loads(run(["infer", *args, "--format", "json"]))


def logits(doc):
    return np.array([i["logits"] for i in doc["images"]], dtype=np.float32)


def float_scalars(model, suffix):
    """The float32 scalar initializers whose names end in `suffix`, in the file's order."""
    out = []
    for t in model.graph.initializer:
        if t.name.endswith(suffix):
            out.append(float(numpy_helper.to_array(t)))
    return out


def graph_agreement(title, ours, theirs, what):
    """The graph check's tolerances for quantized activations (see the docstring)."""
    n = len(ours)
    per_image = [float(np.max(np.abs(ours[i] - theirs[i])) / np.max(np.abs(theirs[i]))) for i in range(n)]
    top1 = int(np.sum(ours.argmax(1) == theirs.argmax(1)))
    shown = ", ".join(f"{r:.1e}" for r in per_image)
    check(median(per_image) <= 1e-4 and max(per_image) <= 1e-2 and top1 >= n - 1,
          f"{title}: {what}: relative per image {shown} (median ≤ 1e-4, each ≤ 0.01), top-1 {top1}/{n} (≥ {n - 1})")
    return per_image


FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Fixtures", "onnx")
GRAPH_CASES = [
    ("mnv2-folded w8a8", ["--model", os.path.join(FIXTURES, "mnv2-folded.onnx"), "--bits", "8", "--act-bits", "8"], ["minmax", "percentile:99"]),
    ("mobilenet-v2 α0.35 32 w8a4", ["--preset", "mobilenet-v2", "--width", "0.35", "--size", "32", "--bits", "8", "--act-bits", "4"], ["minmax"]),
]


def graph_cases(images, x):
    rows = []
    for name, options, methods in GRAPH_CASES:
        for method in methods:
            title = f"{name} {method}"
            calibrate = ["--calibrate", method]
            ours_doc = infer_json([*options, *calibrate, "--kernels", "float", *images])
            ours = logits(ours_doc)
            model = os.path.join(WORK, f"graph-{name.split()[0]}-{method.replace(':', '')}.onnx")
            run(["export", *options, *calibrate, "--calibration-images", *images, "--out", model])
            m = check.onnx_model(model, title)
            meta = {p.key: p.value for p in m.metadata_props}
            check(meta.get("bitsweep.calibrate") == method, f"{title}: metadata bitsweep.calibrate = {meta.get('bitsweep.calibrate')}")
            # The written grids are infer's: its JSON's scales R/L, in step order, against the file's QDQ scales.
            grids = ours_doc["calibration"]["layers"]
            written = float_scalars(m, ".output_scale")
            wanted = [float(np.float32(g["scale"])) for g in grids]
            check(len(written) == len(wanted) > 0 and written == wanted,
                  f"{title}: the {len(written)} QDQ scales are infer --calibrate's {len(wanted)} grid steps R/L, in order")
            signed = len(float_scalars(m, ".clip_min"))
            dynamic = sum(1 for n in m.graph.node if "/dynamic_quant/" in n.name)
            check(dynamic == 0 and signed > 0, f"{title}: {signed} signed grids Clip(−R, R), {dynamic} per-image quantizations left")
            theirs = ort_logits(model, x, optimizations=False)
            written_rel = graph_agreement(title, ours, theirs, "infer --calibrate vs ORT (as written)")
            rows.append((title, "as written", max(written_rel)))
            fixed = os.path.join(WORK, f"graph-{name.split()[0]}-fixed.onnx")
            run(["export", *options, "--out", fixed])
            far = float(np.max(np.abs(ours - ort_logits(fixed, x, optimizations=False))) / np.max(np.abs(theirs)))
            check(far > 1e-3, f"{title}: the uncalibrated model differs (max rel diff {far:.2e})")
            # Read back: infer --model gives infer --calibrate's logits, on float and on auto kernels.
            for kernels in ["float", "auto"]:
                original = ours if kernels == "float" else logits(infer_json([*options, *calibrate, "--kernels", kernels, *images]))
                back = logits(infer_json(["--model", model, "--kernels", kernels, *images]))
                rel = float(np.max(np.abs(back - original)) / np.max(np.abs(original)))
                check(rel <= 1e-6, f"{title}: infer --model exported.onnx --kernels {kernels} gives infer --calibrate's logits (max rel diff {rel:.2e})")
                rows.append((title, f"read back, --kernels {kernels}", rel))
            # infer --kernels auto (int8 where the grids allow) against the export (the simulated run): the difference
            # infer reports itself, simulated_sqnr_db, per image.
            auto_doc = infer_json([*options, *calibrate, "--kernels", "auto", *images])
            auto = logits(auto_doc)
            reported = [float(i["simulated_sqnr_db"]) for i in auto_doc["images"]]
            against = [sqnr_db(theirs[i], auto[i]) for i in range(len(auto))]
            # Images where ORT and the simulated run differ by a flipped code (relative > 1e-4, which the agreement
            # check above allows) are left out: there ORT is not the simulated run.
            flipped = [i for i, r in enumerate(written_rel) if r > 1e-4]
            same = all(abs(a - r) <= 0.1 if math.isfinite(r) else a >= 100
                       for i, (a, r) in enumerate(zip(against, reported)) if i not in flipped)
            check(same and len(flipped) < len(against),
                  f"{title}: infer --kernels auto ({auto_doc['kernels']}) vs ORT: SQNR "
                  + ", ".join(f"{a:.2f}" for a in against) + " dB per image, infer's own simulated_sqnr_db "
                  + ", ".join(f"{r:.2f}" for r in reported) + " (within 0.1 dB; ≥ 100 dB where infer's is +∞"
                  + (f"; image {', '.join(str(i + 1) for i in flipped)} left out: a code flipped between ORT and the simulated run)" if flipped else ")"))
            kept = [a for i, a in enumerate(against) if i not in flipped]
            rows.append((title, "infer --kernels auto vs ORT: SQNR dB (least over the images kept)", min(kept) if kept else float("nan")))
            again = os.path.join(WORK, f"graph-{name.split()[0]}-{method.replace(':', '')}-again.onnx")
            run(["export", "--model", model, "--out", again])
            check(float_scalars(onnx.load(again), ".output_scale") == written, f"{title}: export --model exported.onnx writes the same grids")
            worst = max(graph_agreement(title, ours, ort_logits(again, x, optimizations=False), "written again, ORT vs infer --calibrate"))
            rows.append((title, "written again, ORT", worst))
    return rows


def main():
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    rng = np.random.default_rng(5)
    images, pixels = random_images(rng, 4, 32, os.path.join(WORK, "image"))
    x = np.stack(pixels)
    for act in ["8", "4"]:
        for method in ["minmax", "percentile:99"]:
            for kernels in ["float", "integer"]:
                title = f"w8a{act} {method} {kernels}"
                options = ["--blocks", "4", "--bits", "8", "--act-bits", act, "--size", "32", "--calibrate", method,
                           "--kernels", kernels]
                ours = np.array([i["logits"] for i in json.loads(run(["infer", *options, "--format", "json", *images]))["images"]],
                                dtype=np.float32)
                model = os.path.join(WORK, f"a{act}-{method.replace(':', '')}-{kernels}.onnx")
                run(["export", *options, "--calibration-images", *images, "--out", model])
                meta = {p.key: p.value for p in check.onnx_model(model, title).metadata_props}
                check(meta.get("bitsweep.calibrate") == method, f"{title}: metadata bitsweep.calibrate = {meta.get('bitsweep.calibrate')}")
                theirs = ort_logits(model, x)
                rel = float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))
                top1 = int(np.sum(ours.argmax(1) == theirs.argmax(1)))
                check(rel <= 1e-4 and top1 == len(images), f"{title}: max rel diff {rel:.2e}, top-1 {top1}/{len(images)}")
                if kernels == "float":
                    fixed = os.path.join(WORK, f"a{act}-fixed.onnx")
                    run(["export", *options[:-4], "--kernels", "float", "--out", fixed])
                    far = float(np.max(np.abs(ours - ort_logits(fixed, x))) / np.max(np.abs(theirs)))
                    check(far > 1e-3, f"{title}: the fixed-range model differs (max rel diff {far:.2e})")
                    # Read back with --model (Clip(0, R) then the QDQ of scale R/L: ReLU6 on the calibrated range),
                    # the model runs as infer --calibrate ran it; written again as a graph, it runs so in ORT too.
                    back = np.array([i["logits"] for i in json.loads(run(["infer", "--model", model, "--format", "json", *images]))["images"]],
                                    dtype=np.float32)
                    rel = float(np.max(np.abs(back - ours)) / np.max(np.abs(ours)))
                    check(rel <= 1e-6, f"{title}: infer --model exported.onnx gives infer --calibrate's logits (max rel diff {rel:.2e})")
                    again = os.path.join(WORK, f"a{act}-{method.replace(':', '')}-again.onnx")
                    run(["export", "--model", model, "--out", again])
                    rel = float(np.max(np.abs(ort_logits(again, x) - back)) / np.max(np.abs(back)))
                    check(rel <= 1e-4, f"{title}: export --model exported.onnx runs in ORT as infer --model runs it (max rel diff {rel:.2e})")
    rows = graph_cases(images, x)
    print()
    print("| graph configuration | compared | max rel diff, or SQNR dB |")
    print("|---|---|---:|")
    for title, what, worst in rows:
        print(f"| {title} | {what} | {worst:.2f} dB |" if "SQNR" in what else f"| {title} | {what} | {worst:.2e} |")
    print()
    check.finish()


main()
