#!/usr/bin/env bash
# Float kernels (simulated quantization) against integer kernels on a graph network, side by side: bitsweep bench
# on mobilenet-v2 at 224 px, w8 a8 (stem and classifier too), batch 1, on 1 and 2 threads; float, integer (the
# fixed grids: depthwise and projection convolutions on int8) and integer with --calibrate minmax (every
# convolution but the stem on int8), in interleaved rounds so that a busy phase of the machine touches all three.
# Prints each configuration's median over the rounds of bench's median ms per image, and the load before and after.
#
#   bash Benchmarks/graph_kernels.sh [path/to/bitsweep] [rounds]
set -euo pipefail
BIN=${1:-.build/release/bitsweep}
ROUNDS=${2:-3}
COMMON=(bench --preset mobilenet-v2 --size 224 --bits 8 --act-bits 8 --stem-bits 8 --classifier-bits 8 --runs 20 --warmup 5 --format json)
echo "load before: $(uptime)"
declare -A ms
for threads in 1 2; do
  for round in $(seq "$ROUNDS"); do
    for config in float integer calibrated; do
      case $config in
        float) extra=(--kernels float) ;;
        integer) extra=(--kernels integer) ;;
        calibrated) extra=(--kernels integer --calibrate minmax) ;;
      esac
      m=$("$BIN" "${COMMON[@]}" --threads "$threads" "${extra[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ms_per_image_median"])')
      ms[$threads,$config]="${ms[$threads,$config]:-} $m"
    done
  done
done
echo "load after:  $(uptime)"
printf '%-8s %14s %14s %24s\n' threads "float ms" "integer ms" "integer, calibrated ms"
for threads in 1 2; do
  row=()
  for config in float integer calibrated; do
    row+=("$(python3 -c 'import sys,statistics; print(f"{statistics.median(map(float, sys.argv[1:])):.2f}")' ${ms[$threads,$config]})")
  done
  printf '%-8s %14s %14s %24s\n' "$threads" "${row[0]}" "${row[1]}" "${row[2]}"
done
