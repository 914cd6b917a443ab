#!/usr/bin/env bash
# Builds the microVM guest: Debian's cloud kernel (vmlinuz), and an initramfs holding the Atrium agent as /init,
# busybox-static and the kernel modules the VM needs. Output: <out>/vmlinuz, <out>/initramfs.cpio.gz, <out>/MANIFEST.
#
# The result is cached in ~/.cache/atrium/guest/<hash>/ (override: ATRIUM_GUEST_CACHE), the hash covering every
# input: this script, the agent sources, the busybox binary, the compiler and the kernel package version. The
# kernel .deb is fetched with `apt-get download` and unpacked with `dpkg-deb -x` in a temporary directory; it is
# never installed on the build host.
#
# usage: build-guest.sh <agent source dir> <output dir>
set -euo pipefail

src=$(cd "$1" && pwd)
out=$2
cache_root=${ATRIUM_GUEST_CACHE:-${HOME:-/root}/.cache/atrium/guest}
busybox=/bin/busybox
# modules the guest needs (name:CONFIG symbol); each is loaded unless the kernel config has it built in (=y);
# a trailing ? marks one the guest can live without (virtio-rng: entropy when the host offers the device)
modules=(virtio_pci:VIRTIO_PCI virtio_console:VIRTIO_CONSOLE virtio_blk:VIRTIO_BLK virtio_net:VIRTIO_NET
         ext4:EXT4_FS virtio_rng:HW_RANDOM_VIRTIO?)

die() { echo "build-guest: $*" >&2; exit 1; }
for tool in gcc apt-get apt-cache dpkg-deb cpio gzip sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh installs the build packages)"
done
# (grep without -q: with pipefail an early exit of grep would fail the pipeline by SIGPIPE)
[ -x "$busybox" ] && "$busybox" --list | grep -x ip >/dev/null || die "$busybox (Debian busybox-static) is missing"
file -L "$busybox" 2>/dev/null | grep 'statically linked' >/dev/null || ldd "$busybox" 2>&1 | grep 'not a dynamic' >/dev/null \
  || die "$busybox is not statically linked: install busybox-static"

# the kernel the cloud meta package currently points at
kpkg=$(apt-cache show --no-all-versions linux-image-cloud-amd64 2>/dev/null \
       | sed -n 's/^Depends: .*\(linux-image-[0-9][^ ,]*-cloud-amd64\).*/\1/p' | head -1)
[ -n "$kpkg" ] || die "cannot resolve linux-image-cloud-amd64 (run apt-get update?)"
kver_pkg=$(apt-cache show --no-all-versions "$kpkg" | sed -n 's/^Version: //p' | head -1)
kver=${kpkg#linux-image-}

hash=$( {
  echo "kernel $kpkg $kver_pkg"
  echo "modules ${modules[*]}"
  gcc --version | head -1
  sha256sum < "$0"          # contents only: the hash must not depend on how the script was called
  sha256sum < "$busybox"
  (cd "$src" && find . -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort | xargs sha256sum)
} | sha256sum | cut -c1-16)

cache=$cache_root/$hash
if [ -f "$cache/MANIFEST" ] && [ -f "$cache/vmlinuz" ] && [ -f "$cache/initramfs.cpio.gz" ]; then
  echo "build-guest: cached guest $hash"
else
  echo "build-guest: building guest $hash (kernel $kpkg $kver_pkg)"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  debs=$cache_root/debs
  mkdir -p "$debs"
  deb=$(ls "$debs/${kpkg}_${kver_pkg//:/%3a}_amd64.deb" 2>/dev/null || true)
  if [ -z "$deb" ]; then
    (cd "$work" && apt-get download -q "$kpkg=$kver_pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    deb=$(ls "$work"/"${kpkg}"_*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] || die "apt-get download $kpkg failed"
    mv "$deb" "$debs/" && deb=$debs/$(basename "$deb")
  fi
  dpkg-deb -x "$deb" "$work/kernel"
  kdir=$work/kernel/lib/modules/$kver
  config=$work/kernel/boot/config-$kver
  [ -f "$config" ] || die "no config-$kver in $deb"
  "$busybox" depmod -b "$work/kernel" "$kver"

  root=$work/initramfs
  mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,etc,lib/modules/$kver}
  gcc -static -Os -s -Wall -std=gnu11 -o "$root/init" "$src"/*.c
  cp "$busybox" "$root/bin/busybox"
  for app in sh ip mount umount ls cat ps dmesg; do ln -s busybox "$root/bin/$app"; done

  # dependencies first: modules.dep lists each module's dependencies; load them depth-first
  declare -A seen=()
  order=()
  add_module() { # $1 = path relative to the module dir
    local rel=$1 dep
    [ -n "${seen[$rel]:-}" ] && return
    seen[$rel]=1
    for dep in $(sed -n "s|^$rel: *||p" "$kdir/modules.dep"); do add_module "$dep"; done
    order+=("$rel")
  }
  for entry in "${modules[@]}"; do
    name=${entry%%:*} sym=${entry#*:} optional=
    case $sym in *\?) sym=${sym%\?} optional=1 ;; esac
    case $(sed -n "s/^CONFIG_$sym=//p" "$config") in
      y) echo "build-guest: $name is built into the kernel" ;;
      m) # module names treat - and _ alike (virtio_rng lives in virtio-rng.ko)
         rel=$(grep -E "(^|/)${name//_/[-_]}\.ko(\.[a-z]+)?:" "$kdir/modules.dep" | head -1 | cut -d: -f1)
         [ -n "$rel" ] || die "module $name not found in modules.dep"
         add_module "$rel" ;;
      *) [ -n "$optional" ] && echo "build-guest: kernel $kver lacks CONFIG_$sym; skipping $name" && continue
         die "kernel $kver lacks CONFIG_$sym" ;;
    esac
  done
  : > "$root/etc/atrium-modules"
  for rel in "${order[@]}"; do
    case $rel in *.ko) ;; *) die "compressed module $rel: not supported by this build" ;; esac
    mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
    cp "$kdir/$rel" "$root/lib/modules/$kver/$rel"
    echo "/lib/modules/$kver/$rel" >> "$root/etc/atrium-modules"
  done

  tmp=$cache_root/.tmp-$hash-$$
  mkdir -p "$tmp"
  cp "$work/kernel/boot/vmlinuz-$kver" "$tmp/vmlinuz"
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
    | gzip -9n > "$tmp/initramfs.cpio.gz"
  {
    echo "hash=$hash"
    echo "kernel.package=$kpkg"
    echo "kernel.version=$kver_pkg"
    echo "kernel.release=$kver"
    echo "modules=$(tr '\n' ' ' < "$root/etc/atrium-modules" | sed 's/ $//')"
    echo "agent.sha256=$(sha256sum "$root/init" | cut -d' ' -f1)"
    echo "busybox.sha256=$(sha256sum "$busybox" | cut -d' ' -f1)"
    echo "vmlinuz.sha256=$(sha256sum "$tmp/vmlinuz" | cut -d' ' -f1)"
    echo "initramfs.sha256=$(sha256sum "$tmp/initramfs.cpio.gz" | cut -d' ' -f1)"
  } > "$tmp/MANIFEST"
  rm -rf "$cache"
  mv "$tmp" "$cache"
  # keep the three newest guests (other checkouts may still use them); older ones go
  (cd "$cache_root" && ls -1dt -- */ | grep -E '^[0-9a-f]{16}/$' | tail -n +4 | xargs -r rm -rf)
fi

mkdir -p "$out"
cp "$cache/vmlinuz" "$cache/initramfs.cpio.gz" "$cache/MANIFEST" "$out/"
echo "build-guest: $out ($(du -sh "$out/initramfs.cpio.gz" | cut -f1) initramfs)"
