#!/bin/sh
# Wall and CPU time of two small calibrated sweeps, pinned to one CPU (taskset -c 0: one job, one engine thread),
# for each binary given — e.g. builds before and after a change — alternating, twice:
#   seed: the seed preset, network.calibrate minmax, sizes 32 and 64, 3 and 5 blocks, w8/w4, a8/a4 —
#         16 cases, 5 rounds
#   graph: Inputs/sweeps/mobilenet-v2-imported.yaml with --calibrate minmax and act_bits [8] — 6 cases, 3 rounds
# Run from the repository root:  sh Benchmarks/calibrated_sweep.sh OLD_BINARY NEW_BINARY
# (results go to a temporary folder, --fresh, --no-report). Quote `uptime` with the figures.
set -e
[ $# -ge 1 ] || { echo "usage: sh Benchmarks/calibrated_sweep.sh BINARY [BINARY …]" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat > "$T/seed.yaml" <<SPEC
name: calibrated-small
images: $PWD/Inputs/images
network: {preset: seed, calibrate: minmax}
sizes: [32, 64]
blocks: [3, 5]
precisions: [8, 4]
act_bits: [8, 4]
conventions: [weight]
repeats: 5
SPEC
uptime
for run in 1 2; do
  k=0
  for b in "$@"; do
    k=$((k + 1))
    /usr/bin/time -f "seed  run $run binary $k ($b): %e s wall, %U s user, %S s sys" \
      taskset -c 0 "$b" sweep "$T/seed.yaml" --out "$T/seed-$k" --fresh --no-report > /dev/null 2> "$T/err"
    tail -n 1 "$T/err"
    /usr/bin/time -f "graph run $run binary $k ($b): %e s wall, %U s user, %S s sys" \
      taskset -c 0 "$b" sweep Inputs/sweeps/mobilenet-v2-imported.yaml --calibrate minmax --set 'act_bits=[8]' \
      --out "$T/graph-$k" --fresh --no-report > /dev/null 2> "$T/err"
    tail -n 1 "$T/err"
  done
done
uptime
