#!/usr/bin/env python3
"""`bitsweep export` against ONNX Runtime: the same images through `bitsweep infer` and through the exported
model in onnxruntime, for several small configurations.

For each configuration:
  1. `bitsweep export` writes the model; `onnx.checker.check_model(full_check=True)` must pass, and the
     opset must be the documented one (13, or 21 when a width above 8 bits is present);
  2. the images (random RGB PNGs at the network's size, so `infer` does not resize them: pixels / 255 are
     exactly the network's input) go through `bitsweep infer --kernels float --format json` and through
     onnxruntime (CPU, graph optimisations on);
  3. agreement of the logits, float kernels: max |bitsweep − ORT| / max |ORT| ≤ 1e-4 for every configuration
     (ORT's float sums and the engine's differ in order; a quantized activation that lands within a rounding
     step of a grid boundary may flip one code, which is the only way quantized configurations differ more);
     and top-1 equal on every image;
  4. with --kernels integer (configurations that have int8 layers): the integer path rounds its
     requantization differently from fake quantization (IntegerKernels.swift), and `infer` reports that
     difference itself as the SQNR of the integer logits against the simulated run. The ORT model is the
     simulated run, so the SQNR of bitsweep-integer logits against ORT's must equal infer's own figure within
     0.1 dB on every image, be ≥ 30 dB for the configurations whose widths are all 8 bits (w8a8, the issue's
     bar), and top-1 must be equal on at least all but one image.
  5. `bitsweep export --kernels integer` (the BatchNorm-folded form of the int8 layers: per-channel weight
     scales, int32 bias): checked by onnx.checker; ORT must run every int8 layer whose output is an 8-bit
     activation as QLinearConv (its int8 path; counted in the graph ORT optimised), and its logits must agree
     with `bitsweep infer --kernels integer`: max relative difference ≤ 1e-4, top-1 equal on every image.
     Configurations with no int8 layer must be refused (exit 2) with nothing written.

Usage: check_onnx_export.py BITSWEEP_BINARY WORK_DIR
Prints one line per check and a summary `N passed, M failed`; exits 1 when any check failed.
"""
import json
import math
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "scripts"))
from ort_common import Checks, random_images, run_bitsweep, sqnr_db, write_safetensors  # noqa: E402

BINARY, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
check = Checks()


def run(args):
    return run_bitsweep(BINARY, args)


def trained_like_weights(calc, rng):
    """Weights with non-trivial BatchNorm (γ, β, μ, σ² all random), from `calc --format json`'s layer table."""
    t = {}
    for layer in calc["layers"]:
        name, oc, ic = layer["name"], layer["output_shape"][0], layer["input_shape"][0]
        if layer["kind"] == "linear":
            t["classifier.weight"] = rng.normal(0, (1 / ic) ** 0.5, (oc, ic))
            t["classifier.bias"] = rng.normal(0, 0.1, oc)
            continue
        k, groups = layer["kernel"], layer["groups"]
        if name == "stem":
            w, bn = "stem.conv.weight", "stem.bn"
        else:
            blk, part = name.split(".")
            i = int(blk[len("block"):])
            w, bn = f"blocks.{i}.{part}.weight", f"blocks.{i}.{'bn1' if part == 'depthwise' else 'bn2'}"
        fan_in = (ic // groups) * k * k
        t[w] = rng.normal(0, (2 / fan_in) ** 0.5, (oc, ic // groups, k, k))
        t[f"{bn}.weight"] = rng.uniform(0.5, 1.5, oc)
        t[f"{bn}.bias"] = rng.normal(0.2, 0.2, oc)
        t[f"{bn}.running_mean"] = rng.normal(0, 0.2, oc)
        t[f"{bn}.running_var"] = rng.uniform(0.5, 2.0, oc)
    return t


# name, network options, weights ("seed": --seed 3; "trained": random BatchNorm from a safetensors file),
# granularity, expected opset, all widths 8 bits (integer kernels must then reach 30 dB against ORT)
CASES = [
    ("seed-3 float", ["--blocks", "3", "--size", "32", "--bits", "32"], "seed", "per-tensor", 13, False),
    ("seed-3 w4a8 per-tensor", ["--blocks", "3", "--size", "32", "--bits", "4", "--act-bits", "8"], "trained", "per-tensor", 13, False),
    ("seed-4 w8,4,2,1 a8,4,8,8 per-channel", ["--blocks", "4", "--size", "32", "--bits", "8,4,2,1", "--act-bits", "8,4,8,8",
                                               "--classifier-bits", "8"], "trained", "per-channel", 13, False),
    ("mobilenet-v1 α0.25 4 blocks 64 w8a8", ["--preset", "mobilenet-v1", "--blocks", "4", "--width", "0.25", "--size", "64",
                                            "--bits", "8", "--act-bits", "8"], "trained", "per-tensor", 13, True),
    ("seed-2 w12a10 (int16/uint16)", ["--blocks", "2", "--size", "32", "--bits", "12", "--act-bits", "10",
                                      "--classifier-bits", "16"], "trained", "per-tensor", 21, False),
]


def main():
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    rng = np.random.default_rng(12)
    rows = []
    for ci, (title, options, source, granularity, opset, w8a8) in enumerate(CASES):
        size = int(options[options.index("--size") + 1])
        calc = json.loads(run(["calc", *options, "--format", "json"]))
        weight_options = ["--granularity", granularity, "--seed", "3"]
        if source == "trained":
            wpath = os.path.join(WORK, f"case{ci}.safetensors")
            write_safetensors(wpath, trained_like_weights(calc, rng))
            weight_options = ["--granularity", granularity, "--weights", wpath]
        # Random RGB images at the network's size (infer does not resize them): the network's input is exactly
        # pixels / 255 in Float32, CHW, as infer makes it.
        images, pixels = random_images(rng, 3, size, os.path.join(WORK, f"case{ci}-image"))
        model = os.path.join(WORK, f"case{ci}.onnx")
        run(["export", *options, *weight_options, "--kernels", "float", "--out", model])
        check.onnx_model(model, title, opset)

        x = np.stack(pixels)
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = 1
        so.log_severity_level = 3   # not the warning about saving an optimised model
        theirs = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"]).run(["logits"], {"input": x})[0]

        # The folded form (--kernels integer): what the integer kernels compute, and what ORT runs as QLinearConv.
        folded = os.path.join(WORK, f"case{ci}-integer.onnx")
        r = subprocess.run([BINARY, "export", *options, *weight_options, "--kernels", "integer", "--out", folded],
                           capture_output=True, text=True)
        if r.returncode == 2 and "kernels integer:" in r.stderr:
            check(not os.path.exists(folded), f"{title}: export --kernels integer refused (no int8 layer), nothing written")
        elif r.returncode != 0:
            check(False, f"{title}: export --kernels integer: exit {r.returncode}: {r.stderr.strip()}")
        else:
            check.onnx_model(folded, f"{title}: --kernels integer")
            so.optimized_model_filepath = os.path.join(WORK, f"case{ci}-integer-optimized.onnx")
            folded_out = ort.InferenceSession(folded, so, providers=["CPUExecutionProvider"]).run(["logits"], {"input": x})[0]
            so.optimized_model_filepath = ""
            fused = sum(n.op_type == "QLinearConv" for n in onnx.load(os.path.join(WORK, f"case{ci}-integer-optimized.onnx")).graph.node)
            r = subprocess.run([BINARY, "infer", *options, *weight_options, "--kernels", "integer", "--format", "json", *images],
                               capture_output=True, text=True)
            ours = np.array([img["logits"] for img in json.loads(r.stdout)["images"]], dtype=np.float32)
            diff = float(np.max(np.abs(ours - folded_out)))
            rel = diff / float(np.max(np.abs(folded_out)))
            db = sqnr_db(folded_out, ours)
            top1 = int(np.sum(np.argmax(ours, axis=1) == np.argmax(folded_out, axis=1)))
            rows.append((title, "integer / --kernels integer", diff, rel, db, top1, len(images)))
            # ORT's int8 path: every int8 layer whose output is an 8-bit activation becomes a QLinearConv (below
            # 8 bits the Clip before the uint8 QuantizeLinear is not redundant, and ORT keeps it float).
            layers = [l for l in calc["layers"] if l["kind"] != "linear"]
            def fits8(b):
                return b != "float" and int(b) <= 8
            expected = sum(1 for i, l in enumerate(layers) if i > 0 and fits8(layers[i - 1]["output_bits"])
                           and fits8(l["weight_bits"]) and l["output_bits"] == 8)
            check(fused == expected, f"{title}: ORT runs the folded model's int8 layers with 8-bit outputs as QLinearConv: {fused} (expected {expected})")
            check(rel <= 1e-4, f"{title}: integer kernels vs ORT on the folded model: max |Δ| {diff:.2e}, relative {rel:.2e} (≤ 1e-4)")
            check(top1 == len(images), f"{title}: integer kernels vs ORT on the folded model: top-1 equal on {top1}/{len(images)}")

        for kernels in ("float", "integer"):
            args = ["infer", *options, *weight_options, "--kernels", kernels, "--format", "json", *images]
            r = subprocess.run([BINARY, *args], capture_output=True, text=True)
            if kernels == "integer" and r.returncode == 2 and "kernels integer:" in r.stderr:
                continue  # no layer of this configuration can run int8
            if r.returncode != 0:
                check(False, f"{title}: bitsweep infer --kernels {kernels}: exit {r.returncode}: {r.stderr.strip()}")
                continue
            doc = json.loads(r.stdout)
            ours = np.array([img["logits"] for img in doc["images"]], dtype=np.float32)
            diff = float(np.max(np.abs(ours - theirs)))
            rel = diff / float(np.max(np.abs(theirs)))
            db = sqnr_db(theirs, ours)
            top1 = int(np.sum(np.argmax(ours, axis=1) == np.argmax(theirs, axis=1)))
            rows.append((title, f"{kernels} / --kernels float", diff, rel, db, top1, len(images)))
            if kernels == "float":
                check(rel <= 1e-4, f"{title}: float kernels vs ORT: max |Δ| {diff:.2e}, relative {rel:.2e} (≤ 1e-4)")
                check(top1 == len(images), f"{title}: float kernels vs ORT: top-1 equal on {top1}/{len(images)}")
            else:
                per_image = [sqnr_db(theirs[i], ours[i]) for i in range(len(images))]
                own = [img["simulated_sqnr_db"] for img in doc["images"]]
                gap = max(abs(a - b) for a, b in zip(per_image, own))
                check(gap <= 0.1, f"{title}: integer kernels vs ORT: SQNR per image {', '.join(f'{d:.2f}' for d in per_image)} dB; "
                                  f"infer's integer vs simulated {', '.join(f'{d:.2f}' for d in own)} dB (within 0.1 dB: {gap:.3f})")
                if w8a8:
                    check(db >= 30, f"{title}: integer kernels vs ORT: SQNR {db:.1f} dB (≥ 30 at w8a8)")
                check(top1 >= len(images) - 1, f"{title}: integer kernels vs ORT: top-1 equal on {top1}/{len(images)} (≥ {len(images) - 1})")

    print()
    print("| configuration | infer kernels / exported with | max abs diff | max rel diff | SQNR dB | top-1 equal |")
    print("|---|---|---:|---:|---:|---:|")
    for title, kernels, diff, rel, db, top1, n in rows:
        print(f"| {title} | {kernels} | {diff:.2e} | {rel:.2e} | {'inf' if math.isinf(db) else f'{db:.1f}'} | {top1}/{n} |")
    print()
    check.finish()


if __name__ == "__main__":
    main()
