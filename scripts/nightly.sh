#!/usr/bin/env bash
# Nightly BitSweep regression check: sweep, compare with the kept baseline, publish, fail on regression.
# Exit code: 0 no regression, 1 regression, 2 input error (see docs/nightly.md).
set -euo pipefail
cd "$(dirname "$0")/.."                   # the repository's root
BASELINE=${BASELINE:-Baselines/default}   # the kept baseline (results.json, run.json)
TONIGHT=${TONIGHT:-Reports/nightly}       # tonight's results and comparison
SPEC=${SPEC:-Inputs/sweep.yaml}
HISTORY=${HISTORY:-Reports/history.sqlite}  # every night's run, for trends and steps (bitsweep history)

bash scripts/setup.sh                     # Debian packages, only those missing
swift build -c release --product bitsweep
BITSWEEP="$(swift build -c release --show-bin-path)/bitsweep"

# --fresh: recompute every case; the nightly must not reuse cached cases from an earlier night.
# --history: the run is added to the history database as it finishes, and the report gets a History section.
"$BITSWEEP" sweep "$SPEC" --out "$TONIGHT" --fresh --history "$HISTORY"

status=0
# --history: tonight's timings are judged against each case's recent nights (pooled samples), not one baseline;
# counts and fidelity against the baseline, as always.
"$BITSWEEP" compare "$BASELINE" "$TONIGHT" --history "$HISTORY" --out "$TONIGHT/compare" || status=$?   # prints the verdict
# Trends over every night kept: a new step for the worse (a change that persists) is a regression too.
hstatus=0
"$BITSWEEP" history show --db "$HISTORY" --out "$TONIGHT/history" || hstatus=$?
if [ "$hstatus" -gt "$status" ]; then status=$hstatus; fi

# Publish: $TONIGHT/compare/ (comparison.md, comparison.json, delta-*.png|svg) and the sweep's own report
# beside it. Here: keep a dated copy; a CI job uploads the folder as an artifact instead.
if [ -d "$TONIGHT/compare" ]; then
  dest="Reports/nightly-archive/$(date -u +%Y-%m-%d)"
  mkdir -p Reports/nightly-archive && rm -rf "$dest" && cp -r "$TONIGHT/compare" "$dest"
  if [ -d "$TONIGHT/history" ]; then cp -r "$TONIGHT/history" "$dest/history"; fi
fi

exit $status
