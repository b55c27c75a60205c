#!/bin/sh
# Wall and CPU time of two small graph sweeps, pinned to one CPU (taskset -c 0: one job, one engine thread), for
# each binary given — e.g. builds before and after a change — alternating, twice:
#   preset:   the mobilenet-v2 preset (seeded weights, 3.5 M parameters), size 64, w8/w6/w4, a8 — 3 cases,
#             3 rounds (a graph case is evaluated in every round)
#   imported: Inputs/sweeps/mobilenet-v2-imported.yaml with act_bits [8] — 6 cases, 3 rounds
# Run from the repository root:  sh Benchmarks/graph_weights_sweep.sh OLD_BINARY NEW_BINARY
# (results go to a temporary folder, --fresh, --no-report). Quote `uptime` with the figures.
set -e
[ $# -ge 1 ] || { echo "usage: sh Benchmarks/graph_weights_sweep.sh BINARY [BINARY …]" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat > "$T/preset.yaml" <<SPEC
name: graph-weights-small
images: $PWD/Inputs/images
network: {preset: mobilenet-v2}
sizes: [64]
precisions: [8, 6, 4]
act_bits: [8]
repeats: 3
SPEC
uptime
for run in 1 2; do
  k=0
  for b in "$@"; do
    k=$((k + 1))
    /usr/bin/time -f "preset   run $run binary $k ($b): %e s wall, %U s user, %S s sys" \
      taskset -c 0 "$b" sweep "$T/preset.yaml" --out "$T/preset-$k" --fresh --no-report > /dev/null
    /usr/bin/time -f "imported run $run binary $k ($b): %e s wall, %U s user, %S s sys" \
      taskset -c 0 "$b" sweep Inputs/sweeps/mobilenet-v2-imported.yaml --set 'act_bits=[8]' \
      --out "$T/imported-$k" --fresh --no-report > /dev/null
  done
done
uptime
