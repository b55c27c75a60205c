#!/usr/bin/env python3
"""BitSweep's engine against ONNX Runtime, side by side, on the same network, weights and inputs.

For each case (MobileNetV1-224 batch 1, seed-5 at 224 batch 1, seed-10 at 32 batch 8; all float weights) and
each thread count (1, 2):
  1. `bitsweep bench` writes the network's seeded weights to a safetensors file, runs the engine on a random
     input batch (also a safetensors file) and writes its logits;
  2. this script builds the same network in ONNX (Conv → BatchNormalization → Clip(0, 6) per layer, global
     average pooling, Gemm) from that safetensors file, using the layer table of `bitsweep calc --format json`
     for strides, kernels and padding;
  3. checks that the logits agree: max |bitsweep − ort| / max |ort| ≤ 1e-4;
  4. times both, alternating (`--reps` rounds of: bitsweep's median of `--runs` runs, then ORT's), and prints
     the medians and the ratio BitSweep / ORT.

Usage: python3 Benchmarks/compare_ort.py [--bitsweep PATH] [--threads 1,2] [--reps 3] [--runs 50]
It creates Benchmarks/.venv on first use and installs onnx, onnxruntime and numpy there (from PyPI).
Safetensors files are read and written by hand (8-byte header length, JSON header, little-endian data).
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
PACKAGES = ["numpy", "onnx", "onnxruntime"]


def ensure_venv():
    """Re-runs this script with the virtual environment's Python, creating it first when needed."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        print(f"creating {VENV} and installing {', '.join(PACKAGES)} …", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", *PACKAGES])
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])


CASES = [
    # name, network options, batch
    ("mobilenet-v1 224, batch 1", ["--preset", "mobilenet-v1", "--size", "224", "--bits", "32",
                                   "--stem-bits", "32", "--classifier-bits", "32"], 1),
    ("seed-5 224, batch 1", ["--preset", "seed", "--blocks", "5", "--size", "224", "--bits", "32"], 1),
    ("seed-10 32, batch 8", ["--preset", "seed", "--blocks", "10", "--size", "32", "--bits", "32"], 8),
]


def read_safetensors(path):
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    dtypes = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8"}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[base + b:base + end], dtype=dtypes[e["dtype"]]).reshape(e["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    import numpy as np
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def build_onnx(layers, weights, batch, size, path):
    """The network of `bitsweep calc --format json`'s layer table, with weights from the state_dict."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    import numpy as np
    nodes, inits = [], []

    def init(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    clip_lo, clip_hi = init("relu6.min", np.array(0.0)), init("relu6.max", np.array(6.0))
    x = "input"
    for layer in layers:
        name = layer["name"]
        if layer["kind"] == "linear":
            continue
        if name == "stem":
            w, bn = "stem.conv.weight", "stem.bn"
        else:
            blk, part = name.split(".")
            i = int(blk[len("block"):])
            w = f"blocks.{i}.{part}.weight"
            bn = f"blocks.{i}.{'bn1' if part == 'depthwise' else 'bn2'}"
        p, s = layer["padding"], layer["stride"]
        conv, norm, out = f"{name}.conv", f"{name}.bn", f"{name}.relu6"
        nodes.append(helper.make_node("Conv", [x, init(w, weights[w])], [conv], name=conv, group=layer["groups"],
                                      kernel_shape=[layer["kernel"]] * 2, strides=[s, s], pads=[p, p, p, p]))
        nodes.append(helper.make_node("BatchNormalization",
                                      [conv] + [init(f"{bn}.{k}", weights[f"{bn}.{k}"]) for k in
                                                ("weight", "bias", "running_mean", "running_var")],
                                      [norm], name=norm, epsilon=1e-5))
        nodes.append(helper.make_node("Clip", [norm, clip_lo, clip_hi], [out], name=out))
        x = out
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    nodes.append(helper.make_node("Gemm", ["features", init("classifier.weight", weights["classifier.weight"]),
                                           init("classifier.bias", weights["classifier.bias"])], ["logits"], transB=1))
    classes = weights["classifier.bias"].shape[0]
    graph = helper.make_graph(
        nodes, "bitsweep", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


def ort_time(session, feed, warmup, runs):
    import time
    for _ in range(warmup):
        session.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def main():
    ensure_venv()
    import numpy as np
    import onnxruntime as ort

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bitsweep", help="path of the bitsweep binary (default: a release build under the checkout)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=3, help="alternating rounds per case and thread count")
    ap.add_argument("--runs", type=int, default=50, help="timed runs per round")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--cases", default="all", help="comma-separated case numbers (1–3) or 'all'")
    ap.add_argument("--omp-wait-policy", choices=["default", "passive", "active"], default="default",
                    help="OMP_WAIT_POLICY for bitsweep's OpenMP threads (passive helps on a loaded machine)")
    args = ap.parse_args()
    env = dict(os.environ)
    if args.omp_wait_policy != "default":
        env["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()

    binary = args.bitsweep
    if not binary:
        for candidate in (".build/release/bitsweep", ".build-engine/release/bitsweep"):
            if os.path.exists(os.path.join(ROOT, candidate)):
                binary = os.path.join(ROOT, candidate)
                break
    if not binary or not os.path.exists(binary):
        sys.exit("no bitsweep binary: build one with `swift build -c release --product bitsweep` or pass --bitsweep")
    threads = [int(t) for t in args.threads.split(",")]
    chosen = range(len(CASES)) if args.cases == "all" else [int(c) - 1 for c in args.cases.split(",")]

    print(f"bitsweep: {binary}")
    print(f"onnxruntime {ort.__version__}, numpy {np.__version__}; OMP_WAIT_POLICY {args.omp_wait_policy}; "
          f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}; {os.cpu_count()} CPUs")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for ci in chosen:
            title, options, batch = CASES[ci]
            size = int(options[options.index("--size") + 1])
            calc = json.loads(subprocess.check_output([binary, "calc", *options, "--format", "json"]))
            wpath, xpath, ypath, mpath = (os.path.join(tmp, f"{ci}.{s}") for s in
                                          ("weights.safetensors", "input.safetensors", "logits.safetensors", "onnx"))
            x = np.random.default_rng(ci).random((batch, 3, size, size), dtype=np.float32)
            write_safetensors(xpath, {"input": x})
            for t in threads:
                bench = [binary, "bench", *options, "--batch", str(batch), "--threads", str(t), "--runs", str(args.runs),
                         "--warmup", str(args.warmup), "--input", xpath, "--format", "json"]
                first = json.loads(subprocess.check_output(bench + ["--save-weights", wpath, "--save-logits", ypath], env=env))
                weights = read_safetensors(wpath)
                build_onnx(calc["layers"], weights, batch, size, mpath)
                so = ort.SessionOptions()
                so.intra_op_num_threads = t
                so.inter_op_num_threads = 1
                so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                session = ort.InferenceSession(mpath, so, providers=["CPUExecutionProvider"])
                feed = {"input": x}
                ours = read_safetensors(ypath)["logits"]
                theirs = session.run(None, feed)[0]
                err = float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))
                bs_times, ort_times = [first["ms_per_image_median"]], []
                for r in range(args.reps):
                    ort_times.append(ort_time(session, feed, args.warmup, args.runs) * 1000 / batch)
                    if r + 1 < args.reps:
                        bs_times.append(json.loads(subprocess.check_output(bench, env=env))["ms_per_image_median"])
                b, o = median(bs_times), median(ort_times)
                rows.append((title, t, b, o, b / o, err, first["peak_memory_bytes"]))
                print(f"  {title:<26} {t} thread(s): bitsweep {b:8.3f} ms/img, ORT {o:8.3f} ms/img, "
                      f"ratio {b / o:5.2f}, max rel err {err:.1e}", flush=True)

    print()
    print("| network | threads | BitSweep ms/image | ORT ms/image | BitSweep / ORT | logits max rel. error |")
    print("|---|---:|---:|---:|---:|---:|")
    ok = True
    for title, t, b, o, ratio, err, _ in rows:
        ok &= err <= 1e-4
        print(f"| {title} | {t} | {b:.2f} | {o:.2f} | {ratio:.2f} | {err:.1e} |")
    print()
    print("agreement check (max relative error ≤ 1e-4):", "PASS" if ok else "FAIL")
    print(f"load average at the end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
