#!/usr/bin/env bash
# tests/eval_targets.sh BUILD_DIR DATA_DIR - fails when the default engine
# misses a detection target on the data set; skipped (77) without the data.
set -uo pipefail
[ -d "$2/benign" ] || { echo "no data in $2: skipped"; exit 77; }
BUILD=$1 "$(dirname "$0")/eval.sh" "$2"
