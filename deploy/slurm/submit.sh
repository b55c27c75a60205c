#!/usr/bin/env bash
# Submits the shards as a job array and chains merge + report on its success.
#   deploy/slurm/submit.sh [SHARDS]        (default 8; SPEC, RESULTS, BITSWEEP, BITSWEEP_HOME pass through)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=${1:-8}
array=$(sbatch --parsable --export=ALL --array="0-$((shards - 1))" "$here/sweep.sbatch")
array=${array%%;*}                                 # --parsable prints "jobid" or "jobid;cluster"
merge=$(sbatch --parsable --export=ALL --dependency="afterok:$array" "$here/merge.sbatch")
echo "submitted: shards job $array (${shards} tasks), merge + report job ${merge%%;*} after it"
