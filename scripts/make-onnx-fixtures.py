#!/usr/bin/env python3
"""Writes the small ONNX models that the ONNX import tests read, with ONNX Runtime's reference logits.

Regenerate (from the repository's root; the test venv has onnx, onnxruntime and numpy):

    .build/test-venv/bin/python scripts/make-onnx-fixtures.py      # venv made by: bash scripts/test-venv.sh

Writes, under Tests/Fixtures/onnx/ (committed; the script is deterministic, so running it again gives the
same bytes with the same onnx and numpy versions):

  mnv2-folded.onnx      MobileNetV2-style, BatchNorm folded into the convolutions' biases (what
                        torch.onnx.export writes in eval mode), torchvision's node names
                        (`/features/features.1/conv/conv.0/conv.0.0/Conv`), ReLU6 as Clip with min/max as
                        inputs (opset 14: Constant nodes and initializers), residual Add, a HardSwish, then
                        GlobalAveragePool → Flatten → Gemm(transB=1). Input [N, 3, 32, 32], 10 classes.
  bn-explicit.onnx      Conv → BatchNormalization (ε = 1e-3) nodes, opset 10 (Clip with min/max attributes),
                        plain dotted node names (`layer.1.dw`), MaxPool, a grouped dilated convolution,
                        AveragePool, a squeeze-and-excite gate (GlobalAveragePool, 1×1 Conv with bias,
                        HardSigmoid α = 1/6, Mul), Sigmoid, ReduceMean over H and W, Reshape to [0, -1] and
                        MatMul + Add. Input [1, 3, 24, 24], 5 classes.
  unsupported-resize.onnx  Conv → Resize → GlobalAveragePool → Flatten → Gemm: the import must refuse Resize.
  *.reference.json      For each model that runs: the inputs fed to ONNX Runtime and the logits it gave:
                        {"model", "input_shape", "input", "logits_shape", "logits", "onnxruntime"}, row-major
                        float32 values written as the shortest decimals that read back as the same float32.

Weights are drawn from numpy's default_rng with a fixed seed per model; inputs are in [0, 1).
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "onnx")
PRODUCER = "bitsweep scripts/make-onnx-fixtures.py"


class Builder:
    """Nodes and float32 initializers of one graph, with seeded weights."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.inits = []

    def tensor(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, name, shape):
        fan_in = int(np.prod(shape[1:]))
        return self.tensor(name, (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32))

    def vector(self, name, n, scale=0.1, offset=0.0):
        return self.tensor(name, (offset + scale * self.rng.standard_normal(n)).astype(np.float32))

    def node(self, op, inputs, name, outputs=None, **attrs):
        outputs = outputs or [name + "_output_0"]
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0]


def torch_name(scope, op):
    """torch.onnx.export's node name: `/features/features.1/conv/conv.0/conv.0.0/Conv`."""
    return "/" + "/".join(scope + [op])


def mnv2_folded():
    b = Builder(seed=13)
    six = b.tensor("clip_max_6", np.array(6.0, dtype=np.float32))
    zero = b.tensor("clip_min_0", np.array(0.0, dtype=np.float32))
    use_constant_nodes = [True]  # first Clip reads Constant nodes, the others initializers

    def conv(x, scope, cin, cout, k, stride=1, groups=1):
        name = torch_name(scope, "Conv")
        w = b.weight(f"onnx::Conv_{len(b.inits)}", [cout, cin // groups, k, k])   # torch's folded names
        bias = b.vector(f"onnx::Conv_{len(b.inits)}", cout)
        p = (k - 1) // 2
        return b.node("Conv", [x, w, bias], name, kernel_shape=[k, k], strides=[stride, stride], pads=[p, p, p, p],
                      dilations=[1, 1], group=groups)

    def relu6(x, scope):
        if use_constant_nodes[0]:
            use_constant_nodes[0] = False
            lo = b.node("Constant", [], torch_name(scope, "Constant"), value=numpy_helper.from_array(np.array(0.0, dtype=np.float32)))
            hi = b.node("Constant", [], torch_name(scope, "Constant_1"), value=numpy_helper.from_array(np.array(6.0, dtype=np.float32)))
            return b.node("Clip", [x, lo, hi], torch_name(scope, "Clip"))
        return b.node("Clip", [x, zero, six], torch_name(scope, "Clip"))

    def inverted_residual(x, i, cin, cout, t, stride):
        blk = ["features", f"features.{i}", "conv"]
        hidden = cin * t
        y = x
        j = 0
        if t != 1:
            y = conv(y, blk + [f"conv.{j}", f"conv.{j}.0"], cin, hidden, 1)
            y = relu6(y, blk + [f"conv.{j}", f"conv.{j}.2"])
            j += 1
        y = conv(y, blk + [f"conv.{j}", f"conv.{j}.0"], hidden, hidden, 3, stride, groups=hidden)
        y = relu6(y, blk + [f"conv.{j}", f"conv.{j}.2"])
        j += 1
        y = conv(y, blk + [f"conv.{j}"], hidden, cout, 1)
        if stride == 1 and cin == cout:
            y = b.node("Add", [x, y], torch_name(["features", f"features.{i}"], "Add"))
        return y

    x = "input"
    y = conv(x, ["features", "features.0", "features.0.0"], 3, 8, 3, stride=2)
    y = relu6(y, ["features", "features.0", "features.0.2"])
    y = inverted_residual(y, 1, 8, 8, 1, 1)      # t = 1, residual
    y = inverted_residual(y, 2, 8, 16, 6, 2)     # expand to 48, stride 2
    y = inverted_residual(y, 3, 16, 16, 6, 1)    # expand to 96, residual
    y = conv(y, ["features", "features.4", "features.4.0"], 16, 64, 1)
    y = b.node("HardSwish", [y], torch_name(["features", "features.4", "features.4.2"], "HardSwish"))
    y = b.node("GlobalAveragePool", [y], "/GlobalAveragePool")
    y = b.node("Flatten", [y], "/Flatten", axis=1)
    w = b.weight("classifier.1.weight", [10, 64])
    bias = b.vector("classifier.1.bias", 10)
    b.node("Gemm", [y, w, bias], "/classifier/classifier.1/Gemm", outputs=["logits"], alpha=1.0, beta=1.0, transB=1)

    graph = helper.make_graph(
        b.nodes, "mnv2-folded",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        b.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=7), 2


def bn_explicit():
    b = Builder(seed=29)

    def conv(x, name, cin, cout, k, stride=1, pad=None, dilation=1, groups=1, bias=False):
        w = b.weight(name + ".weight", [cout, cin // groups, k, k])
        inputs = [x, w] + ([b.vector(name + ".bias", cout)] if bias else [])
        p = (dilation * (k - 1)) // 2 if pad is None else pad
        return b.node("Conv", inputs, name, kernel_shape=[k, k], strides=[stride, stride], pads=[p, p, p, p],
                      dilations=[dilation, dilation], group=groups)

    def bn(x, name, c):
        scale = b.vector(name + ".weight", c, scale=0.25, offset=1.0)
        shift = b.vector(name + ".bias", c)
        mean = b.vector(name + ".running_mean", c)
        var = b.tensor(name + ".running_var", b.rng.uniform(0.5, 1.5, c).astype(np.float32))
        return b.node("BatchNormalization", [x, scale, shift, mean, var], name, epsilon=1e-3)

    x = "image"
    y = conv(x, "stem.conv", 3, 8, 3)
    y = bn(y, "stem.bn", 8)
    y = b.node("Relu", [y], "stem.relu")
    y = b.node("MaxPool", [y], "stem.pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])   # 24 → 12
    # layer.1: depthwise → BN → ReLU6 (Clip attributes), pointwise → BN, squeeze-and-excite gate
    y = conv(y, "layer.1.dw", 8, 8, 3, groups=8)
    y = bn(y, "layer.1.dw_bn", 8)
    y = b.node("Clip", [y], "layer.1.dw_act", min=0.0, max=6.0)
    y = conv(y, "layer.1.pw", 8, 16, 1)
    y = bn(y, "layer.1.pw_bn", 16)
    s = b.node("GlobalAveragePool", [y], "layer.1.se.pool")
    s = conv(s, "layer.1.se.fc", 16, 16, 1, bias=True)
    s = b.node("HardSigmoid", [s], "layer.1.se.gate", alpha=1.0 / 6.0, beta=0.5)
    y = b.node("Mul", [y, s], "layer.1.se.mul")
    # layer.2: grouped dilated 3×3 → BN → Sigmoid, 2×2 average pooling
    y = conv(y, "layer.2.conv", 16, 24, 3, dilation=2, groups=4)
    y = bn(y, "layer.2.bn", 24)
    y = b.node("Sigmoid", [y], "layer.2.act")
    y = b.node("AveragePool", [y], "layer.2.pool", kernel_shape=[2, 2], strides=[2, 2])             # 12 → 6
    y = b.node("ReduceMean", [y], "head.pool", axes=[2, 3], keepdims=1)
    shape = b.tensor("head.shape", np.array([0, -1], dtype=np.int64))
    y = b.node("Reshape", [y, shape], "head.reshape")
    w = b.tensor("head.fc.weight", (b.rng.standard_normal((24, 5)) * 0.3).astype(np.float32))   # [in, out]
    y = b.node("MatMul", [y, w], "head.fc")
    bias = b.vector("head.fc.bias", 5)
    b.node("Add", [y, bias], "head.fc.add", outputs=["scores"])

    graph = helper.make_graph(
        b.nodes, "bn-explicit",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 24, 24])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 5])],
        b.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 10)], ir_version=5), 1


def unsupported_resize():
    b = Builder(seed=3)
    w = b.weight("conv.weight", [4, 3, 3, 3])
    y = b.node("Conv", ["input", w], "conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    roi = b.tensor("resize.roi", np.array([], dtype=np.float32))
    scales = b.tensor("resize.scales", np.array([1, 1, 2, 2], dtype=np.float32))
    y = b.node("Resize", [y, roi, scales], "upsample", mode="nearest")
    y = b.node("GlobalAveragePool", [y], "pool")
    y = b.node("Flatten", [y], "flatten")
    fw = b.weight("fc.weight", [3, 4])
    b.node("Gemm", [y, fw], "fc", outputs=["logits"], transB=1)
    graph = helper.make_graph(
        b.nodes, "unsupported-resize",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3])],
        b.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7), None


def write_reference(name, model, batch):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    shape = [batch] + [int(d) for d in inp.shape[1:]]
    x = np.random.default_rng(7).random(shape, dtype=np.float32)
    (logits,) = session.run(None, {inp.name: x})
    doc = {
        "model": name + ".onnx",
        "onnxruntime": ort.__version__,
        "input_shape": list(x.shape),
        "input": [float(str(v)) for v in x.ravel()],
        "logits_shape": list(logits.shape),
        "logits": [float(str(v)) for v in logits.ravel()],
    }
    with open(os.path.join(OUT, name + ".reference.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make in [("mnv2-folded", mnv2_folded), ("bn-explicit", bn_explicit),
                       ("unsupported-resize", unsupported_resize)]:
        model, batch = make()
        model.producer_name = PRODUCER
        onnx.checker.check_model(model, full_check=True)
        onnx.save(model, os.path.join(OUT, name + ".onnx"))
        if batch is not None:
            write_reference(name, model, batch)
        print(f"wrote {os.path.relpath(os.path.join(OUT, name), ROOT)}.onnx ({model.ByteSize()} bytes)"
              + (", .reference.json" if batch is not None else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
