#!/usr/bin/env python3
"""Checks the cluster recipes in deploy/ as far as one machine can.

    python3 scripts/check-cluster-recipes.py --bitsweep .build/debug/bitsweep

1. Kubernetes manifests: validated against the Kubernetes JSON schemas with `kubernetes-validate` when it is
   importable (pip install kubernetes-validate; the test suite makes a venv for it), and always checked
   structurally: an Indexed Job whose SHARDS equals its completions, a working directory, every volume
   mount backed by a volume and the claim defined in pvc.yaml, and merge reading where the shards write.
2. The Indexed Job's and the merge Job's own commands (taken from the YAML) run here, one per index with
   JOB_COMPLETION_INDEX set as Kubernetes sets it, /results mapped to a temporary folder.
3. The Slurm recipe's per-task script runs once per array task with the variables a real array sets
   (SLURM_ARRAY_JOB_ID, SLURM_ARRAY_TASK_ID/COUNT/MIN/MAX, SLURM_SUBMIT_DIR …), then the merge script; an
   array with gaps is refused; submit.sh is run against a stand-in `sbatch` to check the afterok chain.
4. Both merged folders must equal one unsharded run of the same spec: results.json identical once the
   timing fields are removed, and `bitsweep compare` exits 0.
A small spec (8 cases, 3 shards) stands in for Inputs/sweeps/large.yaml. Prints one line per check and
exits 1 on the first failure.
"""
import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "deploy", "kubernetes")
SLURM = os.path.join(ROOT, "deploy", "slurm")
SHARDS = 3


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def ok(message):
    print(f"ok: {message}")


def load_manifests():
    docs = {}
    for name in ("pvc.yaml", "shards-job.yaml", "merge-job.yaml"):
        with open(os.path.join(K8S, name)) as f:
            docs[name] = list(yaml.safe_load_all(f))
    return docs


def validate_schemas(version):
    try:
        import kubernetes_validate
    except ImportError:
        return False
    for name in ("pvc.yaml", "shards-job.yaml", "merge-job.yaml"):
        path = os.path.join(K8S, name)
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.ValidationError as e:
                    fail(f"{path}: {e.message} at {'.'.join(str(p) for p in e.path)}")
                except kubernetes_validate.SchemaNotFoundError as e:
                    fail(f"{path}: no schema: {e}")
    ok(f"kubernetes-validate (Kubernetes {version}, strict): pvc.yaml, shards-job.yaml, merge-job.yaml")
    return True


def container(doc):
    return doc["spec"]["template"]["spec"]["containers"][0]


def env_of(c):
    return {e["name"]: e["value"] for e in c.get("env", [])}


def check_structure(docs):
    pvc = docs["pvc.yaml"][0]
    shards = docs["shards-job.yaml"][0]
    merge = docs["merge-job.yaml"][0]
    spec = shards["spec"]
    if spec.get("completionMode") != "Indexed":
        fail("shards-job.yaml: completionMode is not Indexed")
    c = container(shards)
    if env_of(c).get("SHARDS") != str(spec["completions"]):
        fail(f"shards-job.yaml: SHARDS {env_of(c).get('SHARDS')} differs from completions {spec['completions']}")
    if spec.get("parallelism", 1) > spec["completions"]:
        fail("shards-job.yaml: parallelism above completions")
    for name, job in (("shards-job.yaml", shards), ("merge-job.yaml", merge)):
        pod = job["spec"]["template"]["spec"]
        c = container(job)
        if not c.get("workingDir"):
            fail(f"{name}: the container has no workingDir (specs and images are found relative to it)")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for m in c.get("volumeMounts", []):
            if m["name"] not in volumes:
                fail(f"{name}: volumeMount {m['name']} has no volume")
            claim = volumes[m["name"]].get("persistentVolumeClaim", {}).get("claimName")
            if claim != pvc["metadata"]["name"]:
                fail(f"{name}: volume {m['name']} claims {claim}, not the PVC {pvc['metadata']['name']} of pvc.yaml")
        if pod.get("restartPolicy") not in ("Never", "OnFailure"):
            fail(f"{name}: a Job's restartPolicy must be Never or OnFailure")
    if env_of(container(shards))["RESULTS"] != env_of(container(merge))["RESULTS"]:
        fail("merge-job.yaml reads another RESULTS folder than shards-job.yaml writes")
    ok("manifests: Indexed Job with SHARDS = completions, working directories, volumes backed by the PVC, merge reads the shards' folder")


def run(cmd, env=None, cwd=ROOT, expect=0, shell=False):
    p = subprocess.run(cmd, env=env, cwd=cwd, shell=shell, capture_output=True, text=True)
    if p.returncode != expect:
        fail(f"{cmd if isinstance(cmd, str) else ' '.join(cmd)} exited {p.returncode} (expected {expect}):\n{p.stdout}{p.stderr}")
    return p


def timing_free(results_dir):
    with open(os.path.join(results_dir, "results.json")) as f:
        data = json.load(f)
    for c in data["cases"]:
        c.pop("timings", None)
    return data


def same_as_single(bitsweep, single, merged, label):
    a, b = timing_free(single), timing_free(merged)
    if a != b:
        fail(f"{label}: merged results.json differs from the unsharded run's (timings aside)")
    run([bitsweep, "compare", single, merged])
    ok(f"{label}: merged results equal the unsharded run ({len(a['cases'])} cases; `compare` exits 0)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bitsweep", required=True, help="the bitsweep binary to run")
    ap.add_argument("--kubernetes-version", default="1.30.0")
    ap.add_argument("--require-schema", action="store_true", help="fail when kubernetes-validate is not importable")
    args = ap.parse_args()
    bitsweep = os.path.abspath(args.bitsweep)

    docs = load_manifests()
    if not validate_schemas(args.kubernetes_version):
        if args.require_schema:
            fail("kubernetes-validate is not importable")
        print("note: kubernetes-validate not importable here; schema validation skipped, structural checks only")
    check_structure(docs)

    work = tempfile.mkdtemp(prefix="bitsweep-recipes-")
    try:
        spec = os.path.join(work, "small.yaml")
        with open(spec, "w") as f:
            f.write(f"""name: small
images: {os.path.join(ROOT, 'Inputs', 'images')}
network: {{preset: seed, seed: 0}}
sizes: [16]
blocks: [2, 3]
precisions: [8, 4]
act_bits: [32]
conventions: [weight]
""")
        bindir = os.path.join(work, "bin")
        os.makedirs(bindir)
        os.symlink(bitsweep, os.path.join(bindir, "bitsweep"))
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "JOB_COMPLETION"))}
        base_env["PATH"] = bindir + os.pathsep + base_env.get("PATH", "")

        single = os.path.join(work, "single")
        run([bitsweep, "sweep", spec, "--out", single, "--no-report"], env=base_env)

        # Kubernetes: each pod's command as written, /results mapped to a local folder, cwd = the working directory's stand-in.
        results_root = os.path.join(work, "k8s-results")
        shards_job, merge_job = docs["shards-job.yaml"][0], docs["merge-job.yaml"][0]
        completions = SHARDS
        for i in range(completions):
            c = container(shards_job)
            env = dict(base_env)
            env.update({k: v.replace("/results", results_root) for k, v in env_of(c).items()})
            env.update({"SPEC": spec, "SHARDS": str(completions), "JOB_COMPLETION_INDEX": str(i)})
            run(c["command"], env=env)
        c = container(merge_job)
        env = dict(base_env)
        env.update({k: v.replace("/results", results_root) for k, v in env_of(c).items()})
        run(c["command"], env=env)
        k8s_merged = os.path.join(env["RESULTS"], "merged")
        if not os.path.isfile(os.path.join(k8s_merged, "report.md")):
            fail("Kubernetes merge Job: no report.md beside the merged results")
        ok(f"Kubernetes: {completions} Indexed Job pods and the merge + report Job ran their commands from the YAML")
        same_as_single(bitsweep, single, k8s_merged, "Kubernetes")

        # Slurm: the array's tasks, with the variables sbatch sets, then the dependent merge job.
        slurm_results = os.path.join(work, "slurm-results")
        for i in range(SHARDS):
            env = dict(base_env)
            env.update({
                "SLURM_JOB_ID": str(5000 + i), "SLURM_ARRAY_JOB_ID": "5000", "SLURM_ARRAY_TASK_ID": str(i),
                "SLURM_ARRAY_TASK_COUNT": str(SHARDS), "SLURM_ARRAY_TASK_MIN": "0",
                "SLURM_ARRAY_TASK_MAX": str(SHARDS - 1), "SLURM_ARRAY_TASK_STEP": "1", "SLURM_CPUS_PER_TASK": "2",
                "SLURM_SUBMIT_DIR": ROOT, "SPEC": spec, "RESULTS": slurm_results, "BITSWEEP": bitsweep,
            })
            run(["bash", os.path.join(SLURM, "sweep.sbatch")], env=env, cwd=work)
        env = dict(base_env)
        env.update({"SLURM_JOB_ID": "5003", "SLURM_SUBMIT_DIR": ROOT, "RESULTS": slurm_results, "BITSWEEP": bitsweep})
        run(["bash", os.path.join(SLURM, "merge.sbatch")], env=env, cwd=work)
        ok(f"Slurm: {SHARDS} array tasks (shard count from SLURM_ARRAY_TASK_COUNT) and the merge + report job")
        same_as_single(bitsweep, single, os.path.join(slurm_results, "merged"), "Slurm")

        # An array with a step (0,2,4: three tasks spanning five ids) is refused before any work.
        env = dict(base_env)
        env.update({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0",
                    "SLURM_ARRAY_TASK_MAX": "4", "SLURM_SUBMIT_DIR": ROOT, "SPEC": spec,
                    "RESULTS": os.path.join(work, "gaps"), "BITSWEEP": bitsweep})
        run(["bash", os.path.join(SLURM, "sweep.sbatch")], env=env, cwd=work, expect=2)
        if os.path.exists(os.path.join(work, "gaps")):
            fail("Slurm: an array with gaps wrote results")
        ok("Slurm: an array with gaps or a step is refused (exit 2), nothing written")

        # submit.sh against a stand-in sbatch that records its arguments.
        fake = os.path.join(bindir, "sbatch")
        log = os.path.join(work, "sbatch.log")
        with open(fake, "w") as f:
            f.write(f"""#!/bin/sh
echo "$*" >> {log}
n=$(wc -l < {log})
echo "$((700 + n));cluster-a"
""")
        os.chmod(fake, os.stat(fake).st_mode | stat.S_IEXEC)
        p = run(["bash", os.path.join(SLURM, "submit.sh"), "5"], env=base_env, cwd=work)
        calls = open(log).read().splitlines()
        if len(calls) != 2 or "--array=0-4" not in calls[0] or not calls[0].endswith("sweep.sbatch"):
            fail(f"submit.sh: first sbatch call was {calls[:1]}")
        if "--dependency=afterok:701" not in calls[1] or not calls[1].endswith("merge.sbatch"):
            fail(f"submit.sh: merge not chained with afterok on the array job: {calls[1:]}")
        ok(f"submit.sh: array 0-4, then merge with --dependency=afterok:701 ({p.stdout.strip()})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("all cluster recipe checks passed")


if __name__ == "__main__":
    main()
