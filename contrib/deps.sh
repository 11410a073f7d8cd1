#!/usr/bin/env bash
# Installs everything mljob needs to build, test and run, from Debian's packages only.
# Idempotent: when every package is already installed it returns in well under a second.
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config
  libslurm-dev slurm-wlm-basic-plugins-dev   # slurm.h and spank.h
  libhwloc-dev libcurl4-openssl-dev libyaml-cpp-dev libboost-program-options-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libre2-dev libsqlite3-dev libeigen3-dev
  libzip-dev   # FfDL's model definitions and downloads (zip), read and written in-process
  zlib1g-dev   # batch prediction's TF_RECORD_GZIP input, streamed in-process
  clang-format python3-pyflakes   # the style checks (tests/lint): C++ format, Python's F rules
  clang libclang-rt-14-dev        # the fuzz targets (fuzz/): clang's libFuzzer and sanitizer runtimes
)
run_packages=(
  slurm-wlm slurmdbd slurmrestd slurm-wlm-jwt-plugin munge mariadb-server mariadb-client hwloc python3
  procps iproute2 jq
  tar gzip bzip2 xz-utils   # unpacking sdists and tarballs given as packageUris
  # hwloc's optional components (gl, opencl, nvml, ...): libhwloc15 recommends them, so most
  # compute nodes have them, and the plugin's test that discovery inside slurmstepd never waits
  # for an X server needs the gl component to be there (plugin/README.md, "hwloc inside slurmstepd").
  libhwloc-plugins
)
# Python from Debian only (PyPI is not reachable): PyTorch for the real all_reduce check of the
# plugin, Optuna for the tuner's baseline, protobuf and crcmod for an independent TensorBoard
# event-file encoder in the metrics tests; scikit-learn and joblib for batch prediction's
# sklearn predictor (and TorchScript models through python3-torch), zlib for gzip'd TFRecords.
python_packages=(python3-yaml python3-numpy python3-torch python3-optuna python3-protobuf python3-crcmod
  python3-sklearn python3-joblib)
wanted=("${build_packages[@]}" "${run_packages[@]}" "${python_packages[@]}")

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#wanted[@]} packages already installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run 'make deps' as root (or install them with apt-get) and try again" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# The Debian packages of munge, mariadb and slurm try to start their services on install;
# policy-rc.d stops that: the local cluster (contrib/cluster) starts its own copies.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
trap '[[ $created_policy == 1 ]] && rm -f "$policy"' EXIT
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
