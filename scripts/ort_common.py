"""Helpers shared by the scripts that run bitsweep next to ONNX Runtime.

Used by Benchmarks/compare_ort.py (the timing comparison) and Tests/Python/check_onnx_export.py,
check_graph_onnx_export.py and check_calibrated_export.py (the export agreement checks): safetensors files and
PNGs written by hand, random test images, the SQNR, ORT sessions set up the same way in both, a median, an ONNX
MobileNetV2 (torchvision's layout, as `torch.onnx.export` writes it in eval mode) with seeded random weights, and
for the checks: running the bitsweep binary, counting `ok`/`FAIL` lines, and onnx.checker with the opset. Needs
numpy (and onnx, onnxruntime for the functions that use them), imported inside the functions so that a script can
import this module before it has made its environment.
"""
import json
import math
import struct
import subprocess
import sys
import zlib


def read_safetensors(path):
    """The tensors of a safetensors file, as numpy arrays (F32, F64, F16 and I64)."""
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
    """Writes `{name: array}` as F32 tensors, names sorted, header padded to 8 bytes."""
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


def write_png(path, rgb):
    """An 8-bit RGB PNG (filter 0 on every row) of an [h, w, 3] uint8 array, written by hand: no imaging library."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def random_images(rng, count, size, prefix):
    """`count` random RGB PNGs of `size`×`size` (`<prefix><i>.png`; numpy Generator `rng`), and the network input
    each is for `infer`, which does not resize them: pixels / 255 in float32, CHW. Returns (paths, inputs)."""
    import numpy as np
    paths, pixels = [], []
    for i in range(count):
        rgb = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        path = f"{prefix}{i}.png"
        write_png(path, rgb)
        paths.append(path)
        pixels.append(rgb.transpose(2, 0, 1).astype(np.float32) / np.float32(255))
    return paths, pixels


def run_bitsweep(binary, args):
    """bitsweep's standard output for `args`; a failing run ends the script with its exit code and message."""
    r = subprocess.run([binary, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"bitsweep {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


class Checks:
    """The checks of a script: `check(ok, what)` prints `ok   what` or `FAIL what` and counts it; `finish()` prints
    `N passed, M failed` and exits 1 when any failed."""

    def __init__(self):
        self.passed, self.failed = 0, 0

    def __call__(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(("ok   " if ok else "FAIL ") + what, flush=True)

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)

    def onnx_model(self, path, title, opset=None):
        """onnx.checker.check_model(full_check=True) on the model at `path` (a check), and, when given, that its
        default-domain opset is `opset` (another). Returns the loaded model."""
        import onnx
        try:
            onnx.checker.check_model(path, full_check=True)
            self(True, f"{title}: onnx.checker.check_model(full_check=True)")
        except Exception as e:  # noqa: BLE001 — any checker complaint is a failure
            self(False, f"{title}: onnx.checker.check_model: {e}")
        m = onnx.load(path)
        if opset is not None:
            self([o.version for o in m.opset_import if o.domain == ""] == [opset], f"{title}: opset {opset}")
        return m


def sqnr_db(ref, x):
    """10·log10(Σ ref² / Σ (ref − x)²) in float64; +∞ when they are equal."""
    import numpy as np
    ref = np.asarray(ref, dtype=np.float64)
    noise = float(np.sum((ref - np.asarray(x, dtype=np.float64)) ** 2))
    return math.inf if noise == 0 else 10 * math.log10(float(np.sum(ref ** 2)) / noise)


def relative_error(ours, theirs):
    """max |ours − theirs| / max |theirs| (the agreement figure of the float checks)."""
    import numpy as np
    return float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))


def ort_session(path, threads=1, optimized=None):
    """An ONNX Runtime session: CPU provider, ORT_ENABLE_ALL, `threads` intra-op threads, sequential, warnings off
    (not the one about saving an optimised model); `optimized`, when given, is where ORT writes the graph it ran."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    if optimized:
        so.optimized_model_filepath = optimized
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


# torchvision's MobileNetV2 inverted-residual settings: expansion t, output channels c, repeats n, first stride s.
MOBILENET_V2_SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                         (6, 320, 1, 1)]


def mobilenet_v2(size=224, batch=1, classes=1000, seed=0, width=1.0, settings=MOBILENET_V2_SETTINGS, last_channel=1280):
    """MobileNetV2 (Sandler et al. 2018, width 1.0) as `torch.onnx.export` writes torchvision's model in eval mode:
    BatchNorm folded into every convolution's bias, ReLU6 as Clip(0, 6) with min/max initializers, residual Add,
    GlobalAveragePool → Flatten → Gemm(transB=1), torchvision's node names (`/features/features.1/conv/conv.0/
    conv.0.0/Conv`), opset 13. Weights are He-normal from numpy's default_rng(seed), biases N(0, 0.1²): random,
    not trained. `width` is torchvision's width multiplier α (every channel count α·c rounded to a multiple of 8,
    never below 90 % of α·c; the last convolution keeps `last_channel` for α ≤ 1); `settings` the inverted-residual
    stages (t, c, n, s), torchvision's by default (fewer make a truncated MobileNetV2). Returns the onnx ModelProto
    (input 'input' [batch, 3, size, size], output 'logits')."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    nodes, inits = [], []

    def tensor(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    def node(op, inputs, scope, outputs=None, **attrs):
        name = "/" + "/".join(scope + [op])
        outputs = outputs or [name + "_output_0"]
        nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0]

    zero, six = tensor("clip_min_0", np.array(0.0)), tensor("clip_max_6", np.array(6.0))

    def conv(x, scope, cin, cout, k, stride=1, groups=1):
        fan_in = (cin // groups) * k * k
        w = tensor(".".join(scope[1:]) + ".weight", rng.standard_normal((cout, cin // groups, k, k)) * np.sqrt(2.0 / fan_in))
        b = tensor(".".join(scope[1:]) + ".bias", 0.1 * rng.standard_normal(cout))
        p = (k - 1) // 2
        return node("Conv", [x, w, b], scope, kernel_shape=[k, k], strides=[stride, stride], pads=[p, p, p, p],
                    dilations=[1, 1], group=groups)

    def relu6(x, scope):
        return node("Clip", [x, zero, six], scope)

    def divisible(v):   # torchvision's _make_divisible(v, 8)
        d = max(8, int(v + 4) // 8 * 8)
        return d + 8 if d < 0.9 * v else d

    stem, last = divisible(32 * width), divisible(last_channel * max(1.0, width))
    x = relu6(conv("input", ["features", "features.0", "features.0.0"], 3, stem, 3, 2), ["features", "features.0", "features.0.2"])
    cin, i = stem, 1
    for t, c, n, s in settings:
        c = divisible(c * width)
        for r in range(n):
            stride = s if r == 0 else 1
            scope = ["features", f"features.{i}", "conv"]
            hidden, y, j = cin * t, x, 0
            if t != 1:
                y = relu6(conv(y, scope + [f"conv.{j}", f"conv.{j}.0"], cin, hidden, 1), scope + [f"conv.{j}", f"conv.{j}.2"])
                j += 1
            y = conv(y, scope + [f"conv.{j}", f"conv.{j}.0"], hidden, hidden, 3, stride, groups=hidden)
            y = relu6(y, scope + [f"conv.{j}", f"conv.{j}.2"])
            y = conv(y, scope + [f"conv.{j + 1}"], hidden, c, 1)
            x = node("Add", [x, y], ["features", f"features.{i}"]) if stride == 1 and cin == c else y
            cin, i = c, i + 1
    x = relu6(conv(x, ["features", f"features.{i}", f"features.{i}.0"], cin, last, 1), ["features", f"features.{i}", f"features.{i}.2"])
    x = node("GlobalAveragePool", [x], [])
    x = node("Flatten", [x], [], axis=1)
    w = tensor("classifier.1.weight", rng.standard_normal((classes, last)) * np.sqrt(1.0 / last))
    b = tensor("classifier.1.bias", 0.1 * rng.standard_normal(classes))
    node("Gemm", [x, w, b], ["classifier", "classifier.1"], outputs=["logits"], alpha=1.0, beta=1.0, transB=1)
    graph = helper.make_graph(nodes, "mobilenet-v2",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, size, size])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, classes])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)


def ensure_packages(venv, packages, modules, script):
    """Carries on when `modules` import; else re-runs `script` (with the same arguments) under `venv`'s Python,
    creating the environment and installing `packages` with pip first. Used by the scripts that need numpy, onnx
    and onnxruntime (Benchmarks/compare_ort.py, scripts/train-head.py)."""
    import importlib
    import os
    import subprocess
    import sys
    try:
        for m in modules:
            importlib.import_module(m)
        return
    except ImportError:
        pass
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        sys.exit(f"{venv} lacks one of {', '.join(packages)}: remove it and run again")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        print(f"creating {venv} and installing {', '.join(packages)} …", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    subprocess.check_call([python, "-m", "pip", "install", "--quiet", *packages])
    os.execv(python, [python, os.path.abspath(script), *sys.argv[1:]])
