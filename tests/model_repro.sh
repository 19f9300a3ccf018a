#!/usr/bin/env bash
# tests/model_repro.sh TRAIN MODEL DATA_DIR - the shipped model is what the
# documented training command makes. Skipped (77) when the training data is
# not there (a user's clone has no ../shared).
set -euo pipefail
train=$1 model=$2 data=$3
if [ ! -f "$data/benign/top-sites.txt" ] || [ ! -f "$data/benign/hosted.txt" ]; then
    echo "no training data in $data: skipped"
    exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$train" -o "$out" "$data/benign/top-sites.txt" "$data/benign/hosted.txt"
if ! cmp -s "$out" "$model"; then
    echo "oracle/default.model differs from a fresh training run; retrain with:" >&2
    echo "  build/client/dnsoracle_train -o oracle/default.model $data/benign/top-sites.txt $data/benign/hosted.txt" >&2
    exit 1
fi
echo "default model reproduced byte for byte"
