#!/bin/bash
# Builds the SMB Direct kernel modules the VM tests and `npm run bench:rdma` need, for exactly the
# kernel the VM boots, and unpacks Debian's ksmbd-tools beside them. Called by prepare.sh.
#
#   test/vm/build-smb-modules.sh [RELEASE]     (default: the release in .cache/vm/kernel-release)
#
# Debian's 6.1 kernel is built without CONFIG_CIFS_SMB_DIRECT and CONFIG_SMB_SERVER_SMBDIRECT, so
# cifs.ko (the kernel client) and ksmbd.ko (the kernel server, the benchmark's anchor) are rebuilt
# out of tree from Debian's linux-source-6.1 against linux-headers-RELEASE, both at the version of
# the linux-image-RELEASE package (Debian moves the ABI from -57 to -58 and so on: nothing here
# names one). Nothing is installed on the host: the .debs are fetched with `apt-get download` and
# unpacked with `dpkg -x` into a private tree, whose Makefile is pointed at that tree.
#
# Steps:
#   1. linux-source-6.1, linux-headers-RELEASE, linux-headers-ABI-common and linux-kbuild-6.1.
#      Only fs/smb, fs/internal.h (ksmbd includes it), scripts/asn1_compiler.c and
#      include/linux/asn1*.h come out of the source.
#   2. linux-kbuild ships no scripts/asn1_compiler: build it from the same source and generate the
#      *.asn1.c/.h of both modules with it (it is also put where kbuild looks for it).
#   3. The source fixes in test/vm/smb-modules/*.patch, each explained at its top:
#      - ksmbd-share-config-payload-sz.patch: transport_ipc.c takes the share-config response's
#        payload_sz from the message size when ksmbd-tools 3.4.7 sends 0 (else every tree connect
#        fails with STATUS_BAD_NETWORK_NAME);
#      - ksmbd-opinfo-put-null.patch: oplock.c's opinfo_put() returns on NULL (smb2_open passes
#        NULL when no oplock was granted, e.g. cache=none);
#      - cifs-smbd-destroy-disconnect-work.patch: smbdirect.c's smbd_destroy() waits for the
#        queued disconnect work before tearing the connection down (else an RDMA unmount can oops
#        in rdma_disconnect and the guest's SMB traffic stops).
#   4. make -C linux-headers-RELEASE M=fs/smb/client CONFIG_CIFS_SMB_DIRECT=y (-D too: the
#      headers' autoconf.h lacks it), and M=fs/smb/server CONFIG_SMB_SERVER_SMBDIRECT=y.
#      The modules are unsigned: loading them taints the kernel, which the tests accept.
#   5. ksmbd-tools (its package conflicts with samba: never install it) and, when the host lacks
#      it, its runtime dependency libnl-genl-3-200, unpacked with dpkg -x.
#
# Result, outside the clone (CI runs in a fresh clone; a later run finds it and does nothing):
#   ${XDG_CACHE_HOME:-$HOME/.cache}/spliced/smb-modules/RELEASE/{cifs.ko,ksmbd.ko,build.log}
#   ${XDG_CACHE_HOME:-$HOME/.cache}/spliced/ksmbd-tools/VERSION/{usr/sbin/ksmbd.*,lib/...}
# The .debs stay in .../spliced/debs (only the current versions), so a change to a patch rebuilds
# without downloading. On 2 cores the build takes a few minutes (the log prints the time).
# Host tools: apt-get, dpkg, make, gcc-12 (the headers' compiler), patch, xz, libelf1 and libssl3
# (linux-kbuild's modpost and objtool): .ci/apt-packages and .ci/run provide them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
release=${1:-$(cat "$repo/.cache/vm/kernel-release")}
store=${XDG_CACHE_HOME:-$HOME/.cache}/spliced
debs=$store/debs
out=$store/smb-modules/$release
abi=${release%-amd64}
mkdir -p "$debs"

log() { echo "smb-modules: $*"; }

for tool in apt-get apt-cache dpkg dpkg-deb make gcc-12 patch xz; do
  command -v "$tool" > /dev/null || { log "missing $tool (see .ci/apt-packages)"; exit 1; }
done

# The version of the kernel image the VM boots: prepare.sh keeps its .deb; else apt's candidate.
image_version() {
  local deb
  deb=$(ls "$repo/.cache/vm/debs/linux-image-${release}_"*.deb 2> /dev/null | head -1 || true)
  if [ -n "$deb" ]; then dpkg-deb -f "$deb" Version; return; fi
  apt-cache show --no-all-versions "linux-image-$release" 2> /dev/null | sed -n 's/^Version: //p' | head -1
}
version=$(image_version)
[ -n "$version" ] || { log "no version of linux-image-$release known to apt; apt-get update"; exit 1; }

stamp=$( (echo "$release $version"; cat "$0" "$here"/smb-modules/*.patch) | sha256sum | cut -c1-16)
ksmbd_tools_ready() { [ -f "$store/ksmbd-tools/current" ] && [ -x "$(cat "$store/ksmbd-tools/current")/usr/sbin/ksmbd.mountd" ]; }
if [ "$(cat "$out/.complete" 2> /dev/null)" = "$stamp" ] && ksmbd_tools_ready; then
  log "ready: $out"
  exit 0
fi

# apt-get download PACKAGE=VERSION into $debs unless there; prints the .deb's path.
fetch() { # package, version
  local deb
  deb=$(ls "$debs/${1}_${2//:/%3a}_"*.deb 2> /dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    (cd "$debs" && apt-get download "$1=$2" 2>&1 | grep -v 'Download is performed unsandboxed' >&2) || true
    deb=$(ls "$debs/${1}_${2//:/%3a}_"*.deb 2> /dev/null | head -1 || true)
    if [ -z "$deb" ] && [ "$(id -u)" = 0 ]; then # stale apt lists: refresh once, try again
      apt-get update -qq >&2 || true
      (cd "$debs" && apt-get download "$1=$2" 2>&1 | grep -v 'Download is performed unsandboxed' >&2) || true
      deb=$(ls "$debs/${1}_${2//:/%3a}_"*.deb 2> /dev/null | head -1 || true)
    fi
    [ -n "$deb" ] || { log "apt-get download $1=$2 failed (apt-get update?)" >&2; return 1; }
  fi
  echo "$deb"
}

build_modules() {
  local started=$SECONDS src hdr deb p asn1
  build=$(mktemp -d "$store/smb-modules/build.XXXXXX") # global: the EXIT trap needs it
  trap 'rm -rf "$build"' EXIT # runs in a subshell (below)
  log "building cifs.ko and ksmbd.ko with SMB Direct for $release (Debian $version) in $build"
  for p in "linux-headers-$release" "linux-headers-$abi-common" linux-kbuild-6.1 linux-source-6.1; do
    deb=$(fetch "$p" "$version")
    dpkg -x "$deb" "$build/root"
  done
  # The headers' Makefile includes the common one by its absolute /usr/src path.
  hdr=$build/root/usr/src/linux-headers-$release
  sed -i "s|/usr/src/|$build/root/usr/src/|" "$hdr/Makefile"

  log "unpacking fs/smb and the ASN.1 compiler from linux-source-6.1"
  mkdir -p "$build/src"
  tar -xJf "$build/root/usr/src/linux-source-6.1.tar.xz" -C "$build/src" --strip-components=1 \
    --wildcards 'linux-source-6.1/fs/smb/*' 'linux-source-6.1/fs/internal.h' 'linux-source-6.1/scripts/asn1_compiler.c' 'linux-source-6.1/include/linux/asn1*.h'
  rm "$build/root/usr/src/linux-source-6.1.tar.xz"
  src=$build/src

  # Only asn1*.h from the kernel tree; <linux/types.h> and the rest come from the host's libc headers.
  mkdir -p "$build/asn1-include/linux"
  cp "$src"/include/linux/asn1*.h "$build/asn1-include/linux/"
  gcc-12 -O2 -I"$build/asn1-include" -o "$hdr/scripts/asn1_compiler" "$src/scripts/asn1_compiler.c"
  for asn1 in "$src"/fs/smb/client/*.asn1 "$src"/fs/smb/server/*.asn1; do
    "$hdr/scripts/asn1_compiler" "$asn1" "$asn1.c" "$asn1.h"
  done

  for p in "$here"/smb-modules/*.patch; do
    log "applying $(basename "$p")"
    patch -p1 -d "$src" --no-backup-if-mismatch < "$p"
  done

  log "make cifs.ko (CONFIG_CIFS_SMB_DIRECT=y)"
  make -C "$hdr" M="$src/fs/smb/client" -j"$(nproc)" modules \
    CONFIG_CIFS=m CONFIG_CIFS_SMB_DIRECT=y KCFLAGS=-DCONFIG_CIFS_SMB_DIRECT=1
  log "make ksmbd.ko (CONFIG_SMB_SERVER_SMBDIRECT=y)"
  make -C "$hdr" M="$src/fs/smb/server" -j"$(nproc)" modules \
    CONFIG_SMB_SERVER=m CONFIG_SMB_SERVER_SMBDIRECT=y KCFLAGS=-DCONFIG_SMB_SERVER_SMBDIRECT=1

  for m in client/cifs server/ksmbd; do
    [ "$(/sbin/modinfo -F vermagic "$src/fs/smb/$m.ko" | cut -d' ' -f1)" = "$release" ] || { log "$m.ko: wrong vermagic"; return 1; }
  done
  grep -q smbd_get_connection "$src/fs/smb/client/cifs.ko" || { log 'cifs.ko has no SMB Direct'; return 1; }
  grep -q smb_direct_listen_handler "$src/fs/smb/server/ksmbd.ko" || { log 'ksmbd.ko has no SMB Direct'; return 1; }
  rm -rf "$out" && mkdir -p "$out"
  cp "$src/fs/smb/client/cifs.ko" "$src/fs/smb/server/ksmbd.ko" "$out/"
  log "built in $((SECONDS - started)) s"
}

unpack_ksmbd_tools() {
  local tools_version dir deb
  tools_version=$(apt-cache show --no-all-versions ksmbd-tools 2> /dev/null | sed -n 's/^Version: //p' | head -1)
  [ -n "$tools_version" ] || { log 'ksmbd-tools is not in the apt lists'; return 1; }
  dir=$store/ksmbd-tools/$tools_version
  if [ ! -x "$dir/usr/sbin/ksmbd.mountd" ]; then
    rm -rf "$dir"
    deb=$(fetch ksmbd-tools "$tools_version")
    dpkg -x "$deb" "$dir"
    if ! dpkg-query -W -f='${Status}' libnl-genl-3-200 2> /dev/null | grep -q 'install ok installed'; then
      deb=$(fetch libnl-genl-3-200 "$(apt-cache show --no-all-versions libnl-genl-3-200 | sed -n 's/^Version: //p' | head -1)")
      dpkg -x "$deb" "$dir"
    fi
    # ksmbd.* are symlinks to one binary; absolute links would point at the host's /usr.
    for link in "$dir"/usr/sbin/ksmbd.*; do
      if [ -L "$link" ] && [[ $(readlink "$link") == /* ]]; then ln -sfn "$dir$(readlink "$link")" "$link"; fi
    done
  fi
  [ -x "$dir/usr/sbin/ksmbd.mountd" ] || { log "no ksmbd.mountd in $dir"; return 1; }
  echo "$dir" > "$store/ksmbd-tools/current"
  log "ksmbd-tools $tools_version in $dir"
}

mkdir -p "$store/smb-modules" "$store/ksmbd-tools"
if [ "$(cat "$out/.complete" 2> /dev/null)" != "$stamp" ]; then
  mkdir -p "$out"
  # A subshell with -e in force (bash ignores -e in a function called from an || list).
  set +e
  (set -e; build_modules) > "$store/smb-modules/build-$release.log" 2>&1
  status=$?
  set -e
  if [ $status != 0 ]; then
    tail -n 40 "$store/smb-modules/build-$release.log"
    log "the module build failed; full log: $store/smb-modules/build-$release.log"
    exit 1
  fi
  grep '^smb-modules: ' "$store/smb-modules/build-$release.log"
  mv "$store/smb-modules/build-$release.log" "$out/build.log"
  echo "$stamp" > "$out/.complete"
fi
unpack_ksmbd_tools
# Only the current release's modules and the current package versions stay.
for old in "$store"/smb-modules/*/; do [ "$old" = "$out/" ] || rm -rf "$old"; done
find "$debs" -name '*.deb' ! -name "*_${version//:/%3a}_*" ! -name 'ksmbd-tools_*' ! -name 'libnl-genl-*' -delete
log "ready: $out"
