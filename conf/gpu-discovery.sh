#!/usr/bin/env bash
# Spark resource discovery script for NVIDIA GPUs (Spark's format: one JSON object on stdout).
# Spark runs it when an executor or worker starts, with
#   spark.executor.resource.gpu.discoveryScript=/path/to/conf/gpu-discovery.sh   (executors)
#   spark.worker.resource.gpu.discoveryScript=/path/to/conf/gpu-discovery.sh     (standalone workers)
# It prints {"name":"gpu","addresses":["0","1",...]} with the indices nvidia-smi lists
# (honouring CUDA_VISIBLE_DEVICES when it holds indices), and {"name":"gpu","addresses":[]}
# on a machine without GPUs or without nvidia-smi, so the executor starts and asks for none.
#
# CONVGRAD_FAKE_GPUS=0,1 makes it report those addresses without nvidia-smi (tests, demos).
set -u
if [[ -n "${CONVGRAD_FAKE_GPUS:-}" ]]; then
  ids="$CONVGRAD_FAKE_GPUS"
elif command -v nvidia-smi >/dev/null 2>&1; then
  ids=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | tr -d ' ' | paste -sd, -)
  if [[ -n "${CUDA_VISIBLE_DEVICES:-}" && "$CUDA_VISIBLE_DEVICES" =~ ^[0-9,]+$ ]]; then
    ids="$CUDA_VISIBLE_DEVICES"
  fi
else
  ids=""
fi
json=""
IFS=',' read -r -a list <<< "$ids"
for id in "${list[@]}"; do
  [[ -z "$id" ]] && continue
  json+="${json:+,}\"$id\""
done
echo "{\"name\":\"gpu\",\"addresses\":[${json}]}"
