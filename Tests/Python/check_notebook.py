"""Executes a report.ipynb that `bitsweep report` wrote, and checks it against what BitSweep wrote.

    python check_notebook.py BITSWEEP REPORT_DIR OTHER_RESULTS_DIR

- REPORT_DIR holds results.json and the report (report.ipynb) written from it;
- OTHER_RESULTS_DIR is another results folder (different cases).

Checks, each printed as `ok …` or `FAIL …`, then one closing line `notebook: N passed, M failed`:
1. the written notebook is valid nbformat and carries outputs (each chart once, as PNG; each table once, as
   report.md's Markdown);
2. `jupyter nbconvert --execute` (nbconvert's ExecutePreprocessor, kernel run in REPORT_DIR) gives every code
   cell exactly the outputs that were written (same tables, same figures, byte for byte);
3. papermill with `results_dir` = OTHER_RESULTS_DIR shows that folder's cases in the summary, and not the others;
4. without bitsweep on the kernel's PATH, a cell says so in one line.
Exit status 0 when every check passed.
"""
import copy
import json
import os
import re
import sys
import tempfile

import nbformat
import papermill
from nbconvert.preprocessors import ExecutePreprocessor

bitsweep, report_dir, other_dir = sys.argv[1:4]
passed, failed = 0, 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok  ", what)
    else:
        failed += 1
        print("FAIL", what, detail)


def case_ids(results_dir):
    with open(os.path.join(results_dir, "results.json")) as f:
        return [c["id"][:8] for c in json.load(f)["cases"]]


def outputs(cell):
    """A cell's outputs, normalized: output type and mime bundle (strings joined, PNG whitespace removed)."""
    out = []
    for o in cell.get("outputs", []):
        data = {}
        for k, v in o.get("data", {}).items():
            v = "".join(v) if isinstance(v, list) else v
            data[k] = re.sub(r"\s", "", v) if k == "image/png" else v
        out.append((o["output_type"], data, o.get("text")))
    return out


def summary_ids(nb):
    """Case ids (8 characters) in the summary table's outputs."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "table: summary" in cell.source:
            md = "".join(outputs(cell)[0][1].get("text/markdown", "")) if cell.outputs else ""
            return re.findall(r"^\| +\d+ \| ([0-9a-f]{8}) \|", md, flags=re.M)
    return None


env_with = dict(os.environ, BITSWEEP=bitsweep)
path = os.path.join(report_dir, "report.ipynb")
written = nbformat.read(path, as_version=4)
try:
    nbformat.validate(written)
    check(True, "the written notebook is valid nbformat 4")
except nbformat.ValidationError as e:
    check(False, "the written notebook is valid nbformat 4", str(e)[:300])

code = [c for c in written.cells if c.cell_type == "code"]
params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
check(len(params) == 1 and "results_dir = " in params[0].source, "one papermill `parameters` cell assigns results_dir")
kinds = [k for c in code for o in c.outputs for k in o.get("data", {})]
check("image/png" in kinds and "text/markdown" in kinds, "the written notebook carries tables (Markdown) and charts (PNG)")
check(set(kinds) == {"image/png", "text/markdown", "text/plain"}, "each chart and table is stored once (no SVG, no HTML copy)",
      sorted(set(kinds)))
pngs = [o.data["image/png"] for c in code for o in c.outputs if "image/png" in o.get("data", {})]
check(len(pngs) == len(set(pngs)), "no chart is stored twice")
long_cells = [c.source for c in code if len(c.source.splitlines()) > 25]
check(not long_cells, "code cells are short", long_cells[:1])

# 2. Execute it as `jupyter nbconvert --to notebook --execute` does, with the kernel in the report folder.
executed = copy.deepcopy(written)
for c in executed.cells:
    if c.cell_type == "code":
        c.outputs = []
os.environ["BITSWEEP"] = bitsweep
ExecutePreprocessor(timeout=300, kernel_name="python3").preprocess(executed, {"metadata": {"path": report_dir}})
mismatches = []
for i, (w, e) in enumerate(zip(written.cells, executed.cells)):
    if w.cell_type == "code" and outputs(w) != outputs(e):
        mismatches.append((i, w.source[:60], [o[0] for o in outputs(e)], [o[0] for o in outputs(w)]))
check(not mismatches, f"executed outputs equal the written ones ({len(code)} code cells, {len(pngs)} charts)",
      mismatches[:2])
errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type in ("error", "stream")]
check(not errors, "execution printed no error and no stray text", errors[:1])

# 3. papermill with another results folder.
ids_a, ids_b = case_ids(report_dir), case_ids(other_dir)
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "other.ipynb")
    papermill.execute_notebook(path, out, parameters={"results_dir": os.path.abspath(other_dir)}, cwd=report_dir,
                               kernel_name="python3", progress_bar=False)
    other = nbformat.read(out, as_version=4)
shown = summary_ids(other)
check(shown == ids_b, "papermill -p results_dir OTHER shows that folder's cases", (shown, ids_b))
check(summary_ids(written) == ids_a, "the written notebook shows the report folder's cases")
params_out = [c for c in other.cells if c.cell_type == "code" and "table: parameters" in c.source]
md = "".join(outputs(params_out[0])[0][1]["text/markdown"]) if params_out else ""
check(os.path.abspath(other_dir) in md, "its parameters table names the other folder")

# 4. No bitsweep: one line says so.
bare = copy.deepcopy(written)
for c in bare.cells:
    if c.cell_type == "code":
        c.outputs = []
os.environ.pop("BITSWEEP", None)
os.environ["PATH"] = "/usr/bin:/bin"
ExecutePreprocessor(timeout=120, kernel_name="python3").preprocess(bare, {"metadata": {"path": report_dir}})
first = next(c for c in bare.cells if c.cell_type == "code" and "report_cell(" in c.source and "def " not in c.source)
texts = [o.get("text", "") for o in first.outputs]
check(len(texts) == 1 and texts[0].count("\n") == 1 and "bitsweep is not on this kernel's PATH" in texts[0],
      "without bitsweep on PATH a cell says so in one line", texts)

print(f"notebook: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
