#!/usr/bin/env python3
"""Writes Inputs/models/mnv2-trained-head.onnx: a small MobileNetV2 whose backbone is random and whose classifier
is trained, so that the README's accuracy-against-BitOps sweep has a float accuracy well above chance.

What it is (a demonstration of the workflow, not a benchmark):
  - backbone: a truncated MobileNetV2 at 64×64 input — torchvision's layout (scripts/ort_common.py's
    mobilenet_v2: BatchNorm folded into the convolutions, ReLU6 as Clip, residual Add, torchvision's node
    names) at width 1.0 up to features.3 (the stem and the first two stages: inverted residual blocks of 16, 24
    and 24 channels), then features.4, a 1×1 convolution to 512 channels with ReLU6, global average pooling and
    the classifier. He-normal random weights from numpy's default_rng(BACKBONE_SEED). Each convolution is then followed
    by a BatchNorm whose statistics are measured on the training images (γ = 1, β = 0: every output channel gets
    mean 0 and variance 1 on them) and folded into the convolution's weights and bias, as torch.onnx.export folds
    BatchNorm in eval mode. The backbone is never trained: its features are random.
  - head: the final Gemm (512 features → 5 classes) fitted by ridge regression (least squares with an L2
    penalty, bias not penalised) on one-hot targets of the training views' features, computed by ONNX Runtime
    on the float backbone. The penalty is chosen on a held-out fifth of the training views (every fifth view of
    each class), then the head is refitted on all of them.
  - data: the five photos of Inputs/images/ are the five classes. Training views are written by
    `scripts/make-labelled-images.py --train` (random crops, flips and colour jitter, none near a test view);
    the test set is Inputs/labelled/ (4 fixed views per class, 20 images).
  - preprocessing (Inputs/models/mnv2-trained-head.preprocess.yaml, read by BitSweep beside the model): the
    64×64 images are not resampled (the network's size), scaled to [0, 1], then ImageNet's mean and std per
    channel — the same here with Pillow and numpy.

Writes, under Inputs/models/ (committed):
  mnv2-trained-head.onnx            the model (input 'input' [N, 3, 64, 64], output 'logits' [N, 5])
  mnv2-trained-head.preprocess.yaml its preprocessing
  mnv2-trained-head.reference.json  what this script measured with ONNX Runtime: the float model's top-1 on
                                    the training views and on Inputs/labelled/, and for each test image its
                                    label, predicted class and logits (a CLI test compares `bitsweep infer`
                                    with it), plus the versions and settings used.

Regenerate from the repository's root (about a minute; deterministic: the same bytes again with the same
Pillow, numpy, onnx and onnxruntime versions, which the reference file records):

    python3 scripts/train-head.py
    python3 scripts/train-head.py --check .build/debug/bitsweep   # also compares ORT's logits with bitsweep infer's

It runs with any Python whose numpy, onnx, onnxruntime and Pillow import; otherwise it creates
.build/train-venv (python3 -m venv, then pip install of those four) and re-runs itself there.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
VENV = os.path.join(ROOT, ".build", "train-venv")
PACKAGES = ["pillow", "numpy", "onnx", "onnxruntime"]

NAME = "mnv2-trained-head"
OUT = os.path.join(ROOT, "Inputs", "models")
TEST = os.path.join(ROOT, "Inputs", "labelled")
TRAIN = os.path.join(ROOT, ".build", "labelled-train")
SIZE, WIDTH, BACKBONE_SEED, LAST_CHANNEL = 64, 1.0, 0, 512
STAGES = [(1, 16, 1, 1), (6, 24, 2, 2)]        # (t, c, n, s): torchvision's first two inverted-residual stages
TRAIN_PER_CLASS, TRAIN_SEED = 100, 0
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
ALPHAS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]   # ridge penalty, times the mean feature energy
PRODUCER = "bitsweep scripts/train-head.py"


def labelled(folder):
    """(relative path, class index) of every image of an ImageFolder-layout folder, classes in sorted order."""
    classes = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
    items = []
    for index, cls in enumerate(classes):
        for f in sorted(os.listdir(os.path.join(folder, cls))):
            items.append((os.path.join(cls, f), index))
    return classes, items


def load(folder, items):
    """The images as an NCHW float32 batch: RGB, scaled to [0, 1], then (x − mean) / std per channel."""
    import numpy as np
    from PIL import Image
    batch = []
    for path, _ in items:
        img = Image.open(os.path.join(folder, path)).convert("RGB")
        assert img.size == (SIZE, SIZE), f"{path}: {img.size}, expected {SIZE}×{SIZE} (no resampling here)"
        x = np.asarray(img, dtype=np.float32) / np.float32(255)
        x = (x - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
        batch.append(x.transpose(2, 0, 1))
    return np.stack(batch).astype(np.float32)


def run(model, x, output):
    """ONNX Runtime's value of `output` for the batch x (one thread: the same numbers every run)."""
    import onnx
    import onnxruntime as ort
    from onnx import helper
    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.graph.output[:]
    m.graph.output.append(helper.make_tensor_value_info(output, onnx.TensorProto.FLOAT, None))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def fold_batch_statistics(model, x):
    """Each Conv in graph order: its output's per-channel mean μ and std σ on x, then w ← w/σ, b ← (b − μ)/σ."""
    import numpy as np
    from onnx import numpy_helper
    inits = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        y = run(model, x, node.output[0]).astype(np.float64)
        mu, sigma = y.mean(axis=(0, 2, 3)), np.sqrt(y.var(axis=(0, 2, 3)) + 1e-5)
        w, b = (numpy_helper.to_array(inits[n]).astype(np.float64) for n in node.input[1:3])
        w = w / sigma[:, None, None, None]
        b = (b - mu) / sigma
        for name, value in ((node.input[1], w), (node.input[2], b)):
            inits[name].CopyFrom(numpy_helper.from_array(value.astype(np.float32), name))


def ridge(features, labels, classes, alpha):
    """Least squares on one-hot targets with penalty alpha · mean(‖f‖²) on the weights (not the bias)."""
    import numpy as np
    f = np.asarray(features, dtype=np.float64)
    a = np.hstack([f, np.ones((len(f), 1))])
    y = np.eye(classes)[labels]
    penalty = np.eye(a.shape[1]) * alpha * float((f * f).sum(axis=1).mean())
    penalty[-1, -1] = 0.0
    solution = np.linalg.solve(a.T @ a + penalty, a.T @ y)   # [features + 1, classes]
    return solution[:-1].T, solution[-1]                     # Gemm(transB = 1): weight [classes, features]


def top1(logits, labels):
    import numpy as np
    return int((np.argmax(logits, axis=1) == np.asarray(labels)).sum())


def shortest(values):
    """float32 values as the shortest decimals that read back as the same float32."""
    import numpy as np
    return [float(np.format_float_positional(np.float32(v), unique=True, trim="-")) for v in values]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", metavar="BITSWEEP", help="a bitsweep binary: compare its float logits on the test "
                                                        "set (infer --format json) with ONNX Runtime's")
    args = ap.parse_args()
    from ort_common import ensure_packages
    ensure_packages(VENV, PACKAGES, ["numpy", "onnx", "onnxruntime", "PIL"], __file__)
    import numpy as np
    import onnx
    import onnxruntime as ort
    import PIL
    from onnx import numpy_helper
    from ort_common import mobilenet_v2

    # The training views, written afresh (same seed, same images).
    shutil.rmtree(TRAIN, ignore_errors=True)
    spec = importlib.util.spec_from_file_location("make_labelled_images", os.path.join(ROOT, "scripts", "make-labelled-images.py"))
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    sys.argv = ["make-labelled-images.py", "--train", TRAIN, "--per-class", str(TRAIN_PER_CLASS), "--seed", str(TRAIN_SEED)]
    maker.main()
    classes, train_items = labelled(TRAIN)
    test_classes, test_items = labelled(TEST)
    assert classes == test_classes, (classes, test_classes)
    x_train, y_train = load(TRAIN, train_items), [c for _, c in train_items]
    x_test, y_test = load(TEST, test_items), [c for _, c in test_items]

    model = mobilenet_v2(size=SIZE, batch=1, classes=len(classes), seed=BACKBONE_SEED, width=WIDTH, settings=STAGES,
                         last_channel=LAST_CHANNEL)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    model.graph.output[0].type.tensor_type.shape.dim[0].dim_param = "N"
    fold_batch_statistics(model, x_train)
    flatten = next(n for n in model.graph.node if n.op_type == "Flatten").output[0]
    f_train = run(model, x_train, flatten)

    # The penalty: best top-1 on every fifth training view of each class, fitted on the others (ties: the larger).
    held = np.array([int(os.path.basename(p).split("-")[-1].split(".")[0]) % 5 == 0 for p, _ in train_items])
    y = np.array(y_train)
    scores = []
    for alpha in ALPHAS:
        w, b = ridge(f_train[~held], y[~held], len(classes), alpha)
        scores.append((top1(f_train[held] @ w.T + b, y[held]), alpha))
    best_correct, alpha = max(scores, key=lambda s: (s[0], s[1]))
    w, b = ridge(f_train, y, len(classes), alpha)
    gemm = next(n for n in model.graph.node if n.op_type == "Gemm")
    inits = {t.name: t for t in model.graph.initializer}
    for name, value in ((gemm.input[1], w), (gemm.input[2], b)):
        inits[name].CopyFrom(numpy_helper.from_array(value.astype(np.float32), name))
    model.graph.name = NAME
    model.producer_name = PRODUCER
    onnx.checker.check_model(model, full_check=True)

    logits_train = run(model, x_train, "logits")
    logits_test = run(model, x_test, "logits")
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, NAME + ".onnx")
    onnx.save(model, path)
    with open(os.path.join(OUT, NAME + ".preprocess.yaml"), "w") as f:
        f.write("# Preprocessing of mnv2-trained-head.onnx (scripts/train-head.py): 64×64 images as they are, scaled to\n"
                "# [0, 1], then ImageNet's mean and std per channel.\n"
                f"mean: [{', '.join(map(str, MEAN))}]\nstd: [{', '.join(map(str, STD))}]\n")
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    doc = {
        "model": NAME + ".onnx",
        "sha256": digest,
        "versions": {"onnxruntime": ort.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
                     "pillow": PIL.__version__},
        "backbone": {"layout": "torchvision mobilenet_v2, truncated", "width": WIDTH, "stages": STAGES,
                     "last_channel": LAST_CHANNEL, "size": SIZE, "seed": BACKBONE_SEED,
                     "batchnorm": "statistics of the training views, folded"},
        "preprocessing": {"mean": MEAN, "std": STD},
        "classes": classes,
        "head": {"method": "ridge regression on one-hot targets", "alpha": alpha, "alphas": ALPHAS,
                 "held_out_images": int(held.sum()), "held_out_top1_correct": best_correct},
        "train": {"folder": os.path.relpath(TRAIN, ROOT), "per_class": TRAIN_PER_CLASS, "seed": TRAIN_SEED,
                  "images": len(train_items), "top1_correct": top1(logits_train, y_train)},
        "test": {"folder": os.path.relpath(TEST, ROOT), "images": len(test_items),
                 "top1_correct": top1(logits_test, y_test),
                 "per_image": [{"path": p, "label": c, "predicted": int(np.argmax(l)), "logits": shortest(l)}
                               for (p, c), l in zip(test_items, logits_test)]},
    }
    text = json.dumps(doc, indent=1)
    text = re.sub(r"\[[^\[\]{}]*\]", lambda m: " ".join(m.group(0).split()), text)   # lists of numbers on one line
    with open(os.path.join(OUT, NAME + ".reference.json"), "w") as f:
        f.write(text + "\n")
    params = sum(numpy_helper.to_array(t).size for t in model.graph.initializer)
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes, {params} parameters), "
          f".preprocess.yaml, .reference.json")
    print(f"ridge penalty α = {alpha:g} (held-out top-1 {best_correct}/{int(held.sum())}: "
          + ", ".join(f"{a:g}: {c}" for c, a in scores) + ")")
    print(f"float top-1: training views {doc['train']['top1_correct']}/{len(train_items)}, "
          f"test set {doc['test']['top1_correct']}/{len(test_items)}")

    if args.check:   # the same images through BitSweep: its float logits against ONNX Runtime's
        out = subprocess.run([args.check, "infer", "--model", path, TEST, "--format", "json"],
                             capture_output=True, text=True, check=True).stdout
        got = {os.path.relpath(i["file"], TEST): i for i in json.loads(out)["images"]}
        worst = 0.0
        for (p, _), ours in zip(test_items, logits_test):
            theirs = np.array(got[p]["logits"])
            worst = max(worst, float(np.abs(theirs - ours).max() / np.abs(ours).max()))
        floats = sum(got[p]["fidelity"]["float_top5"][0] == c for p, c in test_items)
        print(f"{args.check} infer: float top-1 {floats}/{len(test_items)}, logits within {worst:.2g} of ONNX "
              f"Runtime's (largest difference over the largest |logit|, over {len(test_items)} images)")


if __name__ == "__main__":
    main()
