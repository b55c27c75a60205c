#!/usr/bin/env python3
"""`bitsweep export` of graph networks (ONNX models given with --model, the mobilenet-v2 preset) against ONNX
Runtime and against `bitsweep infer`, for a few small configurations.

For each configuration:
  1. `bitsweep export` writes the model; `onnx.checker.check_model(full_check=True)` must pass and the opset
     must be the documented one (13; 14 with HardSwish);
  2. random RGB PNGs at the network's size (infer does not resize them: pixels / 255 are exactly the input) go
     through `bitsweep infer --format json` (the original model or preset with the same options) and through
     the exported model in onnxruntime (CPU);
  3. the model describes infer's arithmetic, run as written (ORT's graph optimisations off): relative
     difference per image |bitsweep − ORT| / max |ORT|. Where only weights are quantized, ≤ 1e-4 on every image
     and top-1 equal on every image (fake-quantized weights are the same floats in both). With quantized
     activations the float sums of ORT and oneDNN, which differ in the last bits, can land on the two sides of
     a rounding boundary of the activation grid and flip one code, which the following layers carry on (the
     residual sums of already-quantized values sit exactly on such boundaries often): there the median image
     must agree to ≤ 1e-4, every image to ≤ 1e-2, and top-1 on all but at most one image;
  4. with every ORT optimisation on (it rewrites HardSwish, fuses QDQ pairs into int8 kernels, …; ulp-level
     changes, which quantized activations turn into code flips as above): ≤ 1e-4 where only weights are
     quantized, ≤ 1e-2 with quantized activations.
Then the exported model read back with --model: `calc --model exported.onnx` counts exactly what `calc` counts for the configuration it was exported
from (the import reads the weight bits back from the int8 codes), and `infer --model exported.onnx` (same
granularity) gives the logits of `infer` on that configuration (≤ 1e-6 relative: quantizing the dequantized
codes again at their bits gives them back). And `export --kernels integer` of a graph is refused with one line,
exit 2, nothing written.

Usage: check_graph_onnx_export.py BITSWEEP_BINARY FIXTURES_DIR WORK_DIR
Prints one line per check and a summary `N passed, M failed`; exits 1 when any check failed.
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "scripts"))
from ort_common import Checks, random_images, run_bitsweep  # noqa: E402

BINARY, FIXTURES, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(WORK, exist_ok=True)
check = Checks()


def run(args):
    return run_bitsweep(BINARY, args)


MNV2 = os.path.join(FIXTURES, "mnv2-folded.onnx")
BNX = os.path.join(FIXTURES, "bn-explicit.onnx")
V2 = ["--preset", "mobilenet-v2", "--width", "0.35", "--size", "32"]
# name, network options, size, expected opset, activations quantized
CASES = [
    ("mnv2-folded float", ["--model", MNV2, "--bits", "32", "--stem-bits", "32", "--classifier-bits", "32"], 32, 14, False),
    ("mnv2-folded w4 per-channel, classifier 8", ["--model", MNV2, "--bits", "4", "--classifier-bits", "8",
                                                 "--granularity", "per-channel"], 32, 14, False),
    ("mnv2-folded w8a8 (QDQ after ReLU6, per-image elsewhere)", ["--model", MNV2, "--bits", "8", "--act-bits", "8"], 32, 14, True),
    ("bn-explicit layer-bits **=3, head.fc=8", ["--model", BNX, "--layer-bits", "**=3", "--layer-bits", "head.fc=8"], 24, 13, False),
    ("mobilenet-v2 α0.35 32 w4", [*V2, "--bits", "4"], 32, 13, False),
    ("mobilenet-v2 α0.35 32 w4a8", [*V2, "--bits", "4", "--act-bits", "8"], 32, 13, True),
]


def main():
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    rng = np.random.default_rng(5)
    rows = []
    for ci, (title, options, size, opset, acts) in enumerate(CASES):
        model = os.path.join(WORK, f"graph{ci}.onnx")
        run(["export", *options, "--out", model])
        check.onnx_model(model, title, opset)

        images, pixels = random_images(rng, 3, size, os.path.join(WORK, f"graph{ci}-image"))
        # The export describes the simulated run (float kernels): infer is asked for it (auto would run the
        # convolutions that can on int8 kernels, which round the requantization their own way).
        doc = json.loads(run(["infer", *options, "--kernels", "float", "--format", "json", *images]))
        ours = np.array([img["logits"] for img in doc["images"]], dtype=np.float32)
        n = len(images)
        for level, name in [(ort.GraphOptimizationLevel.ORT_DISABLE_ALL, "as written"),
                            (ort.GraphOptimizationLevel.ORT_ENABLE_ALL, "all")]:
            so = ort.SessionOptions()
            so.graph_optimization_level = level
            so.intra_op_num_threads = 1
            so.log_severity_level = 3
            theirs = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"]).run(["logits"], {"input": np.stack(pixels)})[0]
            per_image = [float(np.max(np.abs(ours[i] - theirs[i])) / np.max(np.abs(theirs[i]))) for i in range(n)]
            worst, median = max(per_image), float(np.median(per_image))
            top1 = int(np.sum(np.argmax(ours, axis=1) == np.argmax(theirs, axis=1)))
            rows.append((title, name, worst, median, top1, n))
            shown = ", ".join(f"{r:.1e}" for r in per_image)
            if name == "as written" and acts:
                check(median <= 1e-4 and worst <= 1e-2, f"{title}: infer vs ORT ({name}): relative per image {shown} (median ≤ 1e-4, each ≤ 0.01)")
                check(top1 >= n - 1, f"{title}: infer vs ORT ({name}): top-1 equal on {top1}/{n} (≥ {n - 1})")
            elif name == "as written":
                check(worst <= 1e-4, f"{title}: infer vs ORT ({name}): relative per image {shown} (each ≤ 1e-4)")
                check(top1 == n, f"{title}: infer vs ORT ({name}): top-1 equal on {top1}/{n}")
            else:
                bar = 1e-2 if acts else 1e-4
                check(worst <= bar, f"{title}: infer vs ORT (all optimisations): relative per image {shown} (each ≤ {bar:g})")

        # The exported model re-imports with the same counts (weight bits read back from the codes, activation
        # bits from the QDQ pairs and the per-image quantization) and runs as the configuration ran.
        size_options = [] if "--model" in options else ["--size", str(size)]
        original = json.loads(run(["calc", *[o for o in options if o not in ("--granularity", "per-channel")], "--format", "json"]))
        again = json.loads(run(["calc", "--model", model, *size_options, "--format", "json"]))
        same = original["totals"] == again["totals"] and original["layers"] == again["layers"]
        check(same, f"{title}: calc --model exported.onnx counts what calc counts for the configuration "
                    f"(BitOps {original['totals'].get('bitops')} / {again['totals'].get('bitops')})")
        granularity = options[options.index("--granularity"):options.index("--granularity") + 2] if "--granularity" in options else []
        rerun = json.loads(run(["infer", "--model", model, *size_options, *granularity, "--kernels", "float", "--format", "json", *images]))
        back = np.array([img["logits"] for img in rerun["images"]], dtype=np.float32)
        rel = float(np.max(np.abs(back - ours)) / np.max(np.abs(ours)))
        check(rel <= 1e-6, f"{title}: infer --model exported.onnx gives infer's logits for the configuration (relative {rel:.1e}, ≤ 1e-6)")

    r = subprocess.run([BINARY, "export", *V2, "--kernels", "integer", "--out", os.path.join(WORK, "refused.onnx")],
                       capture_output=True, text=True)
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and "kernels integer" in r.stderr
          and not os.path.exists(os.path.join(WORK, "refused.onnx")),
          f"export --kernels integer of a graph: exit {r.returncode}, {r.stderr.strip()!r}, nothing written")

    print()
    print("| configuration | ORT optimisations | max rel diff | median rel diff | top-1 equal |")
    print("|---|---|---:|---:|---:|")
    for title, level, worst, median, top1, n in rows:
        print(f"| {title} | {level} | {worst:.2e} | {median:.2e} | {top1}/{n} |")
    print()
    check.finish()


if __name__ == "__main__":
    main()
