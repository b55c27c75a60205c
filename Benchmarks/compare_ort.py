#!/usr/bin/env python3
"""BitSweep's engine against ONNX Runtime, side by side, on the same network, weights and inputs.

Cases (numbered as --cases takes them):
  1. mobilenet-v1 224, batch 1, fp32        2. seed-5 224, batch 1, fp32        3. seed-10 32, batch 8, fp32
  4. mobilenet-v1 224, batch 1, w8/a8 on integer kernels against ORT's int8 path
  5. mobilenet-v2 224, batch 1, fp32, imported from ONNX (`bitsweep bench --model`)

Float cases (1–3), for each thread count:
  1. `bitsweep bench` writes the network's seeded weights to a safetensors file, runs the engine on a random
     input batch (also a safetensors file) and writes its logits;
  2. this script builds the same network in ONNX (Conv → BatchNormalization → Clip(0, 6) per layer, global
     average pooling, Gemm) from that safetensors file, using the layer table of `bitsweep calc --format json`
     for strides, kernels and padding;
  3. agreement: max |bitsweep − ort| / max |ort| ≤ 1e-4.
Imported model (5): the script writes a MobileNetV2-224 in ONNX as torch.onnx.export writes torchvision's
  (BatchNorm folded into the convolutions' biases, Clip(0, 6), residual Add; scripts/ort_common.py, seeded random
  weights), `bitsweep bench --model` imports and runs it on the random input and writes its logits, ORT runs the
  file as it is; agreement: max |bitsweep − ort| / max |ort| ≤ 1e-4 and top-1 equal.
Integer case (4):
  1. `bitsweep export --kernels integer` writes the configuration as ONNX: the int8 layers in the form the
     integer kernels compute (BatchNorm folded into per-channel weight scales, int32 bias, activations as
     QuantizeLinear/DequantizeLinear on the ReLU6 grid), which ORT (graph optimisations on) runs as
     QLinearConv — its int8 path; the script counts the QLinearConv nodes of ORT's optimised graph;
  2. `bitsweep bench --kernels integer` runs --agree-images random images in one batch and writes the logits;
     ORT runs the same images;
  3. agreement: top-1 equal on every image and SQNR of BitSweep's logits against ORT's ≥ 30 dB; and the logits
     are bit-identical on every thread count (integer sums are exact).
Timing, every case: alternating rounds (--reps of: bitsweep bench's median of --runs runs after --warmup, then
ORT's median of as many runs), the medians of the rounds and the ratio BitSweep / ORT. Each row states the
1-minute load average while it ran: on a shared machine, absolute times and 2-thread figures mean little.

ORT: CPU execution provider, ORT_ENABLE_ALL, intra_op_num_threads = threads, inter_op 1, sequential.
BitSweep: its own OpenMP waiting default (see `bitsweep bench --help`), unless --omp-wait-policy or --env says.

Usage:
  swift build -c release --product bitsweep
  python3 Benchmarks/compare_ort.py                               # all cases, 1 and 2 threads
  python3 Benchmarks/compare_ort.py --cases 1,4 --reps 5 --runs 100
  python3 Benchmarks/compare_ort.py --cases 1 --threads 2 --env GOMP_SPINCOUNT=10000
It uses the running Python when numpy, onnx and onnxruntime import; otherwise it creates Benchmarks/.venv and
installs them there (from PyPI). Safetensors files are read and written by hand. Exit status 1 when an
agreement check fails (the table is printed anyway), 2 on a usage error.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from ort_common import ensure_packages, median, mobilenet_v2, ort_session, read_safetensors, relative_error, sqnr_db, write_safetensors  # noqa: E402
VENV = os.path.join(HERE, ".venv")
PACKAGES = ["numpy", "onnx", "onnxruntime"]


FLOAT = ["--bits", "32"]
CASES = [
    # title, network options, batch, kernels
    ("mobilenet-v1 224, batch 1, fp32", ["--preset", "mobilenet-v1", "--size", "224", "--bits", "32",
                                         "--stem-bits", "32", "--classifier-bits", "32"], 1, "float"),
    ("seed-5 224, batch 1, fp32", ["--preset", "seed", "--blocks", "5", "--size", "224", *FLOAT], 1, "float"),
    ("seed-10 32, batch 8, fp32", ["--preset", "seed", "--blocks", "10", "--size", "32", *FLOAT], 8, "float"),
    ("mobilenet-v1 224, batch 1, w8/a8 int8", ["--preset", "mobilenet-v1", "--size", "224", "--bits", "8",
                                               "--act-bits", "8"], 1, "integer"),
    # "model": an ONNX file this script writes (ort_common.mobilenet_v2, seeded random weights), imported by
    # `bitsweep bench --model` (its weights float: no --bits) and run by ORT as it is.
    ("mobilenet-v2 224 (imported ONNX), batch 1, fp32", ["--model", "MODEL", "--size", "224"], 1, "model"),
]




def build_onnx(layers, weights, batch, size, path):
    """The float network of `bitsweep calc --format json`'s layer table, with weights from the state_dict."""
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
    """The median and the fastest of `runs` timed runs, seconds."""
    for _ in range(warmup):
        session.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - t)
    return median(times), min(times)




def load1():
    return float(open("/proc/loadavg").read().split()[0])


def cpu_description():
    model, flags = "?", set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and model == "?":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    isa = "AVX-512 VNNI" if "avx512_vnni" in flags else ("AVX-512" if "avx512f" in flags else
                                                         ("AVX2" if "avx2" in flags else "no AVX2"))
    return f"{model} ({isa})"


def implementations(doc):
    counts = {}
    for e in doc["implementations"]:
        counts[e["implementation"]] = counts.get(e["implementation"], 0) + 1
    return ", ".join(f"{n}× {name}" for name, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def main():
    ensure_packages(VENV, PACKAGES, ["numpy", "onnx", "onnxruntime"], __file__)
    import numpy as np
    import onnx
    import onnxruntime as ort

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="See the module docstring (the file's "
                                 "head) for what each case checks.")
    ap.add_argument("--bitsweep", help="path of the bitsweep binary (default: .build/release/bitsweep under the checkout)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--reps", type=int, default=5, help="alternating rounds per case and thread count (default 5)")
    ap.add_argument("--runs", type=int, default=50, help="timed runs per round (default 50)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed runs before each round (default 10)")
    ap.add_argument("--cases", default="all", help="comma-separated case numbers (1–5) or 'all' (default)")
    ap.add_argument("--agree-images", type=int, default=8, help="images of the integer case's agreement check (default 8)")
    ap.add_argument("--omp-wait-policy", choices=["default", "passive", "active"], default="default",
                    help="OMP_WAIT_POLICY for bitsweep's OpenMP threads (default: bitsweep's own choice)")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="an environment variable for bitsweep (e.g. GOMP_SPINCOUNT=10000); repeatable")
    ap.add_argument("--variants", default="",
                    help="bitsweep environments to time side by side on more than one thread, separated by ';', each "
                         "'default' or KEY=VALUE[+KEY=VALUE…], e.g. 'default;OMP_WAIT_POLICY=ACTIVE;OMP_WAIT_POLICY=PASSIVE' "
                         "(one row each; 1-thread rows use the first)")
    ap.add_argument("--busy", type=int, default=0, metavar="N",
                    help="run N busy loops (one process each) for the whole measurement: a reproducible loaded machine")
    args = ap.parse_args()

    def usage(message):
        print(f"compare_ort.py: {message}", file=sys.stderr)
        sys.exit(2)

    env = dict(os.environ)
    if args.omp_wait_policy != "default":
        env["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    for kv in args.env:
        if "=" not in kv:
            usage(f"--env {kv!r}: expected KEY=VALUE")
        k, v = kv.split("=", 1)
        env[k] = v
    binary = args.bitsweep or os.path.join(ROOT, ".build", "release", "bitsweep")
    if not os.path.exists(binary):
        usage(f"no bitsweep binary at {binary}: build one with `swift build -c release --product bitsweep` or pass --bitsweep")
    try:
        threads = [int(t) for t in args.threads.split(",")]
        chosen = list(range(len(CASES))) if args.cases == "all" else [int(c) - 1 for c in args.cases.split(",")]
    except ValueError:
        usage(f"--threads {args.threads!r} / --cases {args.cases!r}: expected comma-separated numbers")
    if not all(0 <= c < len(CASES) for c in chosen) or not all(t >= 1 for t in threads):
        usage(f"--cases must be numbers 1–{len(CASES)} and --threads at least 1")
    if min(args.reps, args.runs, args.agree_images) < 1 or min(args.warmup, args.busy) < 0:
        usage("--reps, --runs and --agree-images must be at least 1, --warmup and --busy at least 0")
    tuned = {k: env[k] for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if k in env}
    variants = []
    for v in (args.variants.split(";") if args.variants else ["default"]):
        v = v.strip()
        parts = [] if v == "default" else v.split("+")
        if not all("=" in kv for kv in parts):
            usage(f"--variants: {v!r} is neither 'default' nor KEY=VALUE[+KEY=VALUE…]")
        variants.append((v, parts))
    args.variant_list = variants

    def run(cmd, variant=()):
        r = subprocess.run(cmd, env={**env, **dict(kv.split("=", 1) for kv in variant)}, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def bench(options, kernels, batch, t, xpath, runs, warmup, extra=(), variant=()):
        return json.loads(run([binary, "bench", *options, "--kernels", kernels, "--batch", str(batch), "--threads", str(t),
                               "--runs", str(runs), "--warmup", str(warmup), "--input", xpath, "--format", "json", *extra],
                              variant))

    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        measure(args, env, binary, threads, chosen, tuned, run, bench)
    finally:
        for p in busy:
            p.kill()
            p.wait()


def measure(args, env, binary, threads, chosen, tuned, run, bench):
    import numpy as np
    import onnx
    import onnxruntime as ort
    start_load = open("/proc/loadavg").read().split()[:3]
    print(f"bitsweep: {binary}")
    print(f"CPU: {cpu_description()}, {os.cpu_count()} CPUs; onnxruntime {ort.__version__}, onnx {onnx.__version__}, "
          f"numpy {np.__version__}")
    print(f"bitsweep environment: {', '.join(f'{k}={v}' for k, v in tuned.items()) or 'its own default'}; "
          f"--reps {args.reps} --runs {args.runs} --warmup {args.warmup}; {args.busy} busy loops; load average {' '.join(start_load)}", flush=True)
    rows, ok, notes = [], True, []
    with tempfile.TemporaryDirectory() as tmp:
        for ci in chosen:
            title, options, batch, kind = CASES[ci]
            kernels = "integer" if kind == "integer" else "float"
            size = int(options[options.index("--size") + 1])
            path = lambda s: os.path.join(tmp, f"{ci}.{s}")  # noqa: E731
            rng = np.random.default_rng(ci)
            x = rng.random((batch, 3, size, size), dtype=np.float32)
            write_safetensors(path("input.safetensors"), {"input": x})
            feed = {"input": x}
            if kind == "model":
                onnx.save(mobilenet_v2(size=size, batch=batch, seed=ci), path("onnx"))
                options = [path("onnx") if o == "MODEL" else o for o in options]
            if kind == "integer":
                run([binary, "export", *options, "--kernels", "integer", "--out", path("onnx")])
                xs = rng.random((args.agree_images, 3, size, size), dtype=np.float32)
                write_safetensors(path("agree.safetensors"), {"input": xs})
                session = ort_session(path("onnx"), 1, optimized=path("optimized.onnx"))
                fused = sum(n.op_type == "QLinearConv" for n in onnx.load(path("optimized.onnx")).graph.node)
                theirs = session.run(None, {"input": xs})[0]
                reference = None
            elif kind == "float":
                calc = json.loads(run([binary, "calc", *options, "--format", "json"]))
            for t in threads:
                if kind == "integer":
                    doc = bench(options, "integer", args.agree_images, t, path("agree.safetensors"), 1, 0,
                                ["--save-logits", path("logits.safetensors")])
                    ours = read_safetensors(path("logits.safetensors"))["logits"]
                    db = sqnr_db(theirs, ours)
                    top1 = int(np.sum(np.argmax(ours, axis=1) == np.argmax(theirs, axis=1)))
                    identical = reference is None or np.array_equal(reference, ours)
                    reference = ours if reference is None else reference
                    good = db >= 30 and top1 == len(xs) and identical
                    agreement = f"SQNR {db:.1f} dB, top-1 {top1}/{len(xs)}" + ("" if identical else ", NOT bit-identical to 1st thread count")
                    notes.append(f"{title}, {t} thread(s): {doc['kernels']}; ORT QLinearConv nodes: {fused}")
                elif kind == "model":
                    doc = bench(options, "float", batch, t, path("input.safetensors"), 1, 0,
                                ["--save-logits", path("logits.safetensors")])
                    ours = read_safetensors(path("logits.safetensors"))["logits"]
                    theirs1 = ort_session(path("onnx"), t).run(None, feed)[0]
                    err = relative_error(ours, theirs1)
                    top1 = int(np.sum(np.argmax(ours, axis=1) == np.argmax(theirs1, axis=1)))
                    good = err <= 1e-4 and top1 == batch
                    agreement = f"max rel. error {err:.1e}, top-1 {top1}/{batch}"
                else:
                    doc = bench(options, "float", batch, t, path("input.safetensors"), 1, 0,
                                ["--save-weights", path("weights.safetensors"), "--save-logits", path("logits.safetensors")])
                    weights = read_safetensors(path("weights.safetensors"))
                    build_onnx(calc["layers"], weights, batch, size, path("onnx"))
                    ours = read_safetensors(path("logits.safetensors"))["logits"]
                    theirs1 = ort_session(path("onnx"), t).run(None, feed)[0]
                    err = relative_error(ours, theirs1)
                    good = err <= 1e-4
                    agreement = f"max rel. error {err:.1e}"
                ok &= good
                session = ort_session(path("onnx"), t)
                loads = [load1()]
                variants = args.variant_list if t > 1 else args.variant_list[:1]
                bs_times = {v: [] for v, _ in variants}
                bs_min = {v: math.inf for v, _ in variants}
                ort_times, ort_min, docs = [], math.inf, {}
                for _ in range(args.reps):
                    for v, parts in variants:
                        docs[v] = bench(options, kernels, batch, t, path("input.safetensors"), args.runs, args.warmup, variant=parts)
                        bs_times[v].append(docs[v]["ms_per_image_median"])
                        bs_min[v] = min(bs_min[v], docs[v]["ms_per_image_min"])
                    om, on = ort_time(session, feed, args.warmup, args.runs)
                    ort_times.append(om * 1000 / batch)
                    ort_min = min(ort_min, on * 1000 / batch)
                    loads.append(load1())
                o = median(ort_times)
                for v, _ in variants:
                    b, d = median(bs_times[v]), docs[v]
                    label = title if len(args.variant_list) == 1 else f"{title} [{v}]"
                    rows.append((label, t, b, o, b / o, bs_min[v] / ort_min, agreement + ("" if good else " FAIL"),
                                 f"{min(loads):.1f}–{max(loads):.1f}"))
                    notes.append(f"{label}, {t} thread(s): oneDNN {implementations(d)}; OpenMP waiting {d['omp_wait_policy']}")
                    print(f"  {label:<40} {t} thread(s): bitsweep {b:8.3f} ms/img, ORT {o:8.3f} ms/img, "
                          f"ratio {b / o:5.2f} (fastest runs {bs_min[v] / ort_min:4.2f}), {agreement}, load {rows[-1][-1]}",
                          flush=True)

    print()
    print("| network | threads | BitSweep ms/image | ORT ms/image | BitSweep / ORT | fastest runs' ratio | agreement | load average |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for title, t, b, o, ratio, fastest, agreement, load in rows:
        print(f"| {title} | {t} | {b:.2f} | {o:.2f} | {ratio:.2f} | {fastest:.2f} | {agreement} | {load} |")
    print()
    for n in notes:
        print(n)
    print()
    print("agreement checks (fp32: max relative error ≤ 1e-4; int8: SQNR ≥ 30 dB, top-1 equal on every image, "
          "bit-identical across thread counts):", "PASS" if ok else "FAIL")
    print(f"load average: {' '.join(start_load)} at the start, {' '.join(open('/proc/loadavg').read().split()[:3])} "
          f"at the end ({os.cpu_count()} CPUs)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
