#!/usr/bin/env bash
# Spark resource discovery script for NVIDIA GPUs (Spark's format: one JSON object on stdout).
# Spark runs it when an executor or worker starts, with
#   spark.executor.resource.gpu.discoveryScript=/path/to/conf/gpu-discovery.sh   (executors)
#   spark.worker.resource.gpu.discoveryScript=/path/to/conf/gpu-discovery.sh     (standalone workers)
# It prints {"name":"gpu","addresses":["0","1",...]}: the CUDA device ordinals the executor's JVM
# will see, which convgrad opens as they are. Without CUDA_VISIBLE_DEVICES, those are the indices
# nvidia-smi lists; with it, CUDA numbers the visible devices 0 to k-1 (so CUDA_VISIBLE_DEVICES=2,3
# gives "0","1"; empty, or -1 first, gives none). It prints {"name":"gpu","addresses":[]} on a
# machine without GPUs, without nvidia-smi, or whose nvidia-smi lists none (a driver it cannot reach),
# so that the executor starts and asks for none.
#
# CONVGRAD_FAKE_GPUS=0,1 makes it report those addresses without nvidia-smi (tests, demos).
set -u
ids=()
if [[ -n "${CONVGRAD_FAKE_GPUS:-}" ]]; then
  IFS=',' read -r -a ids <<< "${CONVGRAD_FAKE_GPUS// /}"
elif command -v nvidia-smi >/dev/null 2>&1; then
  # Index lines only: nvidia-smi prints its complaints on standard output too, and its exit status
  # is no guide (14: a warning, such as a corrupt infoROM, with the GPUs listed and working).
  listed="$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null)" || true
  mapfile -t ids < <(sed -n 's/^[[:space:]]*\([0-9][0-9]*\)[[:space:]]*$/\1/p' <<< "$listed")
  if [[ -n "${CUDA_VISIBLE_DEVICES+set}" ]]; then
    # CUDA reads the list up to its first entry that names no device: indices nvidia-smi listed,
    # or UUIDs (GPU-..., MIG-...), which it does not check here.
    visible=0
    seen=","
    IFS=',' read -r -a entries <<< "${CUDA_VISIBLE_DEVICES// /}"
    for entry in ${entries[@]+"${entries[@]}"}; do
      [[ "$entry" =~ ^[0-9]+$ ]] && entry="$((10#$entry))"
      if [[ "$seen" == *",$entry,"* || $visible -ge ${#ids[@]} ]]; then
        break # a device named twice, or more than there are
      elif [[ "$entry" =~ ^[0-9]+$ ]] && printf '%s\n' ${ids[@]+"${ids[@]}"} | grep -qx "$entry"; then
        visible=$((visible + 1))
      elif [[ "$entry" == GPU-* || "$entry" == MIG-* ]]; then
        visible=$((visible + 1))
      else
        break
      fi
      seen+="$entry,"
    done
    ids=()
    for ((i = 0; i < visible; i++)); do ids+=("$i"); done
  fi
fi
json=""
for id in ${ids[@]+"${ids[@]}"}; do
  [[ "$id" =~ ^[0-9]+$ ]] || continue # an address convgrad could not open
  json+="${json:+,}\"$id\""
done
echo "{\"name\":\"gpu\",\"addresses\":[${json}]}"
