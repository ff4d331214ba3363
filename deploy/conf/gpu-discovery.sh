#!/usr/bin/env bash
# gpu-discovery.sh: Spark's resource discovery script for GPUs (spark.worker.resource.gpu.discoveryScript
# on a standalone worker, spark.executor.resource.gpu.discoveryScript on YARN and Kubernetes).
# Prints one JSON object, {"name": "gpu", "addresses": ["0", "1", ...]}: the CUDA device indices
# nvidia-smi lists (Fovea turns the address Spark gives a task into the CUDA device ordinal).
#
# FOVEA_FAKE_GPUS=0,1 reports those addresses instead, without asking nvidia-smi: for tests of
# Spark's GPU scheduling on a machine without GPUs (the cuda backend then reports "no CUDA device"
# and auto falls back with a warning). Bad input: one line on stderr, exit 2.
set -euo pipefail

die() { echo "gpu-discovery: error: $*" >&2; exit 2; }

if [[ -n "${FOVEA_FAKE_GPUS:-}" ]]; then
  [[ "$FOVEA_FAKE_GPUS" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "FOVEA_FAKE_GPUS must be device indices like 0,1, not '$FOVEA_FAKE_GPUS'"
  list="$FOVEA_FAKE_GPUS"
elif command -v nvidia-smi >/dev/null 2>&1; then
  list="$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | tr -d ' ' | paste -sd, -)" ||
    die "nvidia-smi could not list the GPUs"
else
  list=""
fi

json=""
IFS=, read -r -a addresses <<<"$list"
for a in "${addresses[@]}"; do
  json+="${json:+, }\"$a\""
done
echo "{\"name\": \"gpu\", \"addresses\": [$json]}"
