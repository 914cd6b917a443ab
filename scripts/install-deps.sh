#!/usr/bin/env bash
# Installs the Debian 12 packages Atrium needs. `--tests` adds what the test suite uses.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
node_pkgs=(openjdk-17-jdk-headless maven runc runsc iproute2 util-linux e2fsprogs containernetworking-plugins iptables qemu-system-x86)
test_pkgs=(busybox-static containerd docker-registry skopeo umoci python3 ca-certificates clang lld wasi-libc libclang-rt-14-dev-wasm32 erofs-utils)
# building the microVM guest (sandboxer-bundles/vmm-guest): the static agent, busybox-static, the initramfs
build_pkgs=(gcc libc6-dev busybox-static cpio)
pkgs=("${node_pkgs[@]}" "${build_pkgs[@]}")
if [ "${1:-}" = "--tests" ]; then pkgs+=("${test_pkgs[@]}"); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
