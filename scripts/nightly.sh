#!/usr/bin/env bash
# Nightly BitSweep regression check: sweep, compare with the kept baseline, publish, fail on regression.
# Exit code: 0 no regression, 1 regression, 2 input error (see docs/nightly.md).
set -euo pipefail
cd "$(dirname "$0")/.."                   # the repository's root
BASELINE=${BASELINE:-Baselines/default}   # the kept baseline (results.json, run.json)
TONIGHT=${TONIGHT:-Reports/nightly}       # tonight's results and comparison
SPEC=${SPEC:-Inputs/sweep.yaml}

bash scripts/setup.sh                     # Debian packages, only those missing
swift build -c release --product bitsweep
BITSWEEP="$(swift build -c release --show-bin-path)/bitsweep"

# --fresh: recompute every case; the nightly must not reuse cached cases from an earlier night.
"$BITSWEEP" sweep "$SPEC" --out "$TONIGHT" --fresh

status=0
"$BITSWEEP" compare "$BASELINE" "$TONIGHT" --out "$TONIGHT/compare" || status=$?   # prints the verdict

# Publish: $TONIGHT/compare/ (comparison.md, comparison.json, delta-*.png|svg) and the sweep's own report
# beside it. Here: keep a dated copy; a CI job uploads the folder as an artifact instead.
if [ -d "$TONIGHT/compare" ]; then
  dest="Reports/nightly-archive/$(date -u +%Y-%m-%d)"
  mkdir -p Reports/nightly-archive && rm -rf "$dest" && cp -r "$TONIGHT/compare" "$dest"
fi

exit $status
