#!/usr/bin/env bash
# Runs the large sweep on Kubernetes: volume, sharded Indexed Job, then merge + report once every shard is done.
#   deploy/kubernetes/run.sh            (kubectl pointed at the cluster and namespace to use)
# Afterwards: kubectl cp the folder /results/large/merged out of a pod that mounts the volume, or read it there.
set -euo pipefail
cd "$(dirname "$0")"
kubectl apply -f pvc.yaml
kubectl delete job bitsweep-large-shards bitsweep-large-merge --ignore-not-found
kubectl apply -f shards-job.yaml
kubectl wait --for=condition=complete --timeout="${TIMEOUT:-24h}" job/bitsweep-large-shards
kubectl apply -f merge-job.yaml
kubectl wait --for=condition=complete --timeout=1h job/bitsweep-large-merge
kubectl logs job/bitsweep-large-merge
