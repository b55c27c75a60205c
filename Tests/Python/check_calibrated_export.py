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

Usage: check_calibrated_export.py BITSWEEP_BINARY WORK_DIR
Prints one line per check and a summary `N passed, M failed`; exits 1 when any check failed.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "scripts"))
from ort_common import Checks, random_images, run_bitsweep  # noqa: E402

BINARY, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
check = Checks()


def run(args):
    return run_bitsweep(BINARY, args)


def ort_logits(model, x):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 1
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"]).run(["logits"], {"input": x})[0]


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
    check.finish()


main()
