#!/usr/bin/env bash
# Assembles the root filesystem of a runtime image (used inside the Dockerfile's build stage).
# Copies the program, its compatibility names, the BPF objects, the iptables user tools with the
# extensions our rules use, and the shared-library closure of every binary (found with ldd), and
# nothing else: no shell, no package manager.
#
# usage: image-rootfs.sh init|cni PREFIX OUT
#   PREFIX  the CMake install prefix holding bin/kuma-tproxy and lib*/kuma-tproxy/bpf/*.bpf.o
#   OUT     the directory to fill
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line

flavor=$1 prefix=$2 out=$3
mkdir -p "$out"/{usr/bin,usr/sbin,etc,tmp,run,var/run,proc,sys,dev}
chmod 1777 "$out/tmp"

copy() {  # copy a file keeping its absolute path
  local src=$1
  mkdir -p "$out$(dirname "$src")"
  cp -L "$src" "$out$src"
}

copy_libs() {  # the ldd closure of a binary or shared object
  ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
    [[ -n "$lib" && -e "$lib" && ! -e "$out$lib" ]] || continue
    copy "$lib"
  done
}

install -m 0755 "$prefix/bin/kuma-tproxy" "$out/usr/bin/kuma-tproxy"
copy_libs "$prefix/bin/kuma-tproxy"
# The BPF objects, for --ebpf-programs-source-path /usr/lib/kuma-tproxy/bpf (the binary embeds
# the same objects; these are the files an operator can point at). CMake installs them under
# ${CMAKE_INSTALL_LIBDIR}/kuma-tproxy/bpf, which is lib/ or lib/<multiarch>/ depending on the prefix.
bpf_dir=$(find "$prefix" -type d -path '*/kuma-tproxy/bpf' -print -quit)
objects=("$bpf_dir"/*.bpf.o)
if [[ -z $bpf_dir || ! -e ${objects[0]} ]]; then
  echo "image-rootfs: no BPF objects under $prefix/lib*/kuma-tproxy/bpf (cmake --install first)" >&2
  exit 1
fi
mkdir -p "$out/usr/lib/kuma-tproxy/bpf"
cp "${objects[@]}" "$out/usr/lib/kuma-tproxy/bpf/"

# Minimal identity files: numeric uids need no passwd entries, but libc and iptables read these.
printf 'root:x:0:0:root:/:/usr/bin/kuma-tproxy\nkuma-dp:x:5678:5678::/:/usr/bin/kuma-tproxy\n' >"$out/etc/passwd"
printf 'root:x:0:\nkuma-dp:x:5678:\n' >"$out/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$out/etc/nsswitch.conf"

case "$flavor" in
  init)
    ln -sf kuma-tproxy "$out/usr/bin/kumactl"
    # iptables user tools, both modes, and the extensions our rules use.
    for multi in xtables-nft-multi xtables-legacy-multi; do
      copy "/usr/sbin/$multi"
      copy_libs "/usr/sbin/$multi"
    done
    for fam in iptables ip6tables; do
      for suffix in "" -save -restore; do
        ln -sf xtables-nft-multi "$out/usr/sbin/$fam-nft$suffix"
        ln -sf xtables-legacy-multi "$out/usr/sbin/$fam-legacy$suffix"
        ln -sf xtables-nft-multi "$out/usr/sbin/$fam$suffix"
      done
    done
    xt=/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)/xtables
    for ext in libxt_standard libxt_tcp libxt_udp libxt_multiport libxt_owner libxt_comment \
      libxt_conntrack libxt_CT libxt_LOG libxt_REDIRECT libipt_REDIRECT libip6t_REDIRECT \
      libxt_state libipt_LOG libip6t_LOG libxt_mark; do
      [[ -e "$xt/$ext.so" ]] || continue
      copy "$xt/$ext.so"
      copy_libs "$xt/$ext.so"
    done
    ;;
  cni)
    mkdir -p "$out/opt/cni/bin"
    mv "$out/usr/bin/kuma-tproxy" "$out/opt/cni/bin/kuma-cni"
    ln -sf ../opt/cni/bin/kuma-cni "$out/install-cni"
    ln -sf ../../opt/cni/bin/kuma-cni "$out/usr/bin/kuma-tproxy"
    ;;
  *) echo "unknown flavor $flavor" >&2; exit 2 ;;
esac
