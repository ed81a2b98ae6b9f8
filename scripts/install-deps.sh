#!/usr/bin/env bash
# Installs every build, test and demo dependency of kuma-tproxy on Debian 12 (bookworm) with apt-get.
# Idempotent: packages already installed are left alone. Needs root (or sudo).
# Set KUMA_SKIP_DEPS=1 to skip (for machines prepared another way).
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line

if [[ "${KUMA_SKIP_DEPS:-0}" == 1 ]]; then
  echo "install-deps: KUMA_SKIP_DEPS=1, skipping" >&2
  exit 0
fi

packages=(
  # toolchain
  build-essential cmake pkg-config g++ clang llvm lld libclang-rt-14-dev clang-format
  # libraries
  libbpf-dev libmnl-dev libnftnl-dev libcli11-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  nlohmann-json3-dev libyaml-cpp-dev libssl-dev libelf-dev zlib1g-dev linux-libc-dev
  # BPF skeletons
  bpftool
  # kernel user tools used by tests, demo and bench
  iptables nftables iproute2 libcap2-bin procps util-linux kmod
  # CNI tests, images and benchmarks
  containernetworking-plugins openssl python3 iperf3 hyperfine
  # deploy/ manifests: strict validation against the Kubernetes API models (tests/deploy)
  python3-yaml python3-kubernetes
  # images (scripts/build-images.sh, scripts/test-images.sh)
  buildah debootstrap
  # scripts/lint.sh
  shellcheck
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present" >&2
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
