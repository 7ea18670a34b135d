#!/bin/bash
# Fetches Debian's 6.1 kernel (never installed on the host) and builds the busybox initramfs
# that the soft-RoCE VM boots, then the SMB Direct modules for it (build-smb-modules.sh).
# Idempotent: everything is cached under .cache/vm (and the modules under ~/.cache/spliced).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache="$repo/.cache/vm"
mkdir -p "$cache/debs"

modules=(virtio_pci 9pnet_virtio 9p overlay dummy ib_core ib_uverbs rdma_cm rdma_ucm
  udp_tunnel ip6_udp_tunnel rdma_rxe)

for tool in qemu-system-x86_64 apt-get dpkg depmod cpio gzip; do
  command -v "$tool" >/dev/null || { echo "prepare: missing $tool"; exit 1; }
done
[ -x /bin/busybox ] || { echo "prepare: missing /bin/busybox (apt-get install busybox-static)"; exit 1; }

newest_kernel_package() {
  apt-cache pkgnames linux-image-6.1.0- | grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -V | tail -1
}
pkg=$(newest_kernel_package || true)
if [ -z "$pkg" ] && ! ls "$cache"/kernel-*/.complete >/dev/null 2>&1; then
  echo "prepare: no linux-image-6.1.0-N-amd64 in the apt lists; apt-get update"
  apt-get update -qq
  pkg=$(newest_kernel_package || true)
fi
if [ -z "$pkg" ]; then # offline: fall back to the newest kernel already extracted
  pkg=$(ls -d "$cache"/kernel-*/ 2>/dev/null | sed 's|.*/kernel-|linux-image-|; s|/$||' | sort -V | tail -1)
fi
[ -n "$pkg" ] || { echo "prepare: no linux-image-6.1.0-N-amd64 in the apt lists"; exit 1; }
# The apt lists may name a kernel the mirror no longer serves (Debian replaced 6.1.0-56 by -57):
# then refresh the lists once and take the newest again.
download_kernel() { # package -> the .deb in $cache/debs, or failure
  (cd "$cache/debs" && apt-get download "$1" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  ls "$cache/debs/${1}_"*.deb >/dev/null 2>&1
}
kver=${pkg#linux-image-}
if [ ! -f "$cache/kernel-$kver/.complete" ] && ! ls "$cache/debs/${pkg}_"*.deb >/dev/null 2>&1; then
  echo "prepare: apt-get download $pkg"
  if ! download_kernel "$pkg"; then
    echo "prepare: $pkg could not be downloaded; apt-get update and try the newest again"
    apt-get update -qq
    pkg=$(newest_kernel_package)
    kver=${pkg#linux-image-}
    [ -f "$cache/kernel-$kver/.complete" ] || download_kernel "$pkg" || { echo "prepare: apt-get download $pkg failed"; exit 1; }
  fi
fi
kdir="$cache/kernel-$kver"
if [ ! -f "$kdir/.complete" ]; then
  deb=$(ls "$cache/debs/${pkg}_"*.deb | head -1)
  echo "prepare: extracting $(basename "$deb") into $kdir"
  rm -rf "$kdir" && mkdir -p "$kdir"
  dpkg -x "$deb" "$kdir"
  find "$kdir/lib/modules" -name '*.ko.xz' -exec xz -d {} +
  depmod -b "$kdir" "$kver"
  touch "$kdir/.complete"
fi

stamp=$(cat "$here/initramfs-init.sh" /bin/busybox "$kdir/.complete" <(printf '%s\n' "${modules[@]}" "$kver") | sha256sum | cut -c1-16)
initrd="$cache/initramfs-$stamp.cpio.gz"
if [ ! -f "$initrd" ]; then
  echo "prepare: building $(basename "$initrd")"
  tmp=$(mktemp -d "$cache/initramfs.XXXXXX")
  mkdir -p "$tmp"/{bin,proc,sys,dev,modules}
  cp /bin/busybox "$tmp/bin/busybox"
  cp "$here/initramfs-init.sh" "$tmp/init" && chmod +x "$tmp/init"
  moddir="$kdir/lib/modules/$kver"
  order=()
  add_module() { # dependencies first, each module once
    local path=$1 dep
    for dep in $(grep -E "^$path:" "$moddir/modules.dep" | cut -d: -f2); do add_module "$dep"; done
    [[ " ${order[*]} " == *" $path "* ]] || order+=("$path")
  }
  for m in "${modules[@]}"; do
    path=$(grep -oE "^[^:]*/$m\.ko:" "$moddir/modules.dep" | tr -d :)
    [ -n "$path" ] || { echo "prepare: module $m not found in $kver"; exit 1; }
    add_module "$path"
  done
  for path in "${order[@]}"; do cp "$moddir/$path" "$tmp/modules/"; basename "$path"; done > "$tmp/modules/load-order"
  (cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$initrd.part"
  mv "$initrd.part" "$initrd"
  rm -rf "$tmp"
fi
find "$cache" -maxdepth 1 -name "initramfs-*.cpio.gz" ! -name "$(basename "$initrd")" -delete
# Only the kernel the VM boots stays: older releases (and their .debs) go.
for old in "$cache"/kernel-*/; do [ "$old" = "$kdir/" ] || rm -rf "$old"; done
find "$cache/debs" -name 'linux-image-*.deb' ! -name "${pkg}_*" -delete
ln -sfn "kernel-$kver" "$cache/kernel"
# Anything later built against kernel headers (out-of-tree modules) must use exactly this release.
echo "$kver" > "$cache/kernel-release"
ln -sfn "$(basename "$initrd")" "$cache/initramfs.cpio.gz"
# cifs.ko and ksmbd.ko with SMB Direct for this kernel, and ksmbd-tools (see build-smb-modules.sh),
# cached outside the clone in ${XDG_CACHE_HOME:-$HOME/.cache}/spliced.
bash "$here/build-smb-modules.sh" "$kver"
echo "prepare: ready: kernel $kver, $(basename "$initrd") in $cache"
