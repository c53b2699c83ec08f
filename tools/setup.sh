#!/usr/bin/env bash
# Installs every Debian package that slipway's build, tests and benchmarks need. Idempotent; uses
# apt-get only (no other downloads). Run as root, or with sudo available.
set -euo pipefail

packages=(
  # build
  bazel-bootstrap g++ git ca-certificates pkg-config
  libabsl-dev libprotobuf-dev protobuf-compiler libarchive-dev libcurl4-openssl-dev libssl-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libdeflate-dev libzstd-dev zlib1g-dev
  libseccomp-dev libcap-dev
  # run time: slipway opens these with dlopen on first use (third_party/lazy), so no NEEDED entry
  # names them; the -dev packages above depend on them, but slipway needs them without those too
  libcurl4 libarchive13
  # fuzzing (clang's libFuzzer runtime)
  clang libclang-rt-14-dev
  # real peers for interoperability tests and benchmarks
  docker-registry skopeo umoci crun runc buildah oci-image-tool busybox-static
  apache2-utils openssl uidmap iproute2 procps
  # registry test harness (tools/testing/registry: token server signs RS256 JWTs)
  python3-cryptography
  # oci/ schema test: validates our encoder's output against the OCI JSON schemas
  python3-jsonschema
  # benchmarks
  pigz zstd gzip tar python3 hyperfine
  # builder/exec tests: ADD of bzip2 and xz tars (made with these tools)
  bzip2 xz-utils
)

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if (( ${#missing[@]} > 0 )); then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup: all ${#packages[@]} packages present"
