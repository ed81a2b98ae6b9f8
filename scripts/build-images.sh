#!/usr/bin/env bash
# Builds the init image and the CNI image from the Dockerfile with buildah, with no registry:
# the base image the Dockerfile names (an exact Debian point release, e.g. debian:12.11-slim) is
# made once from the Debian mirror with debootstrap and committed locally under that name
# (cached in buildah's storage), then `buildah bud --pull-never` builds the Dockerfile's targets
# against it. Prints the image names and sizes.
#
# Tags: kuma-tproxy-init:<version> and kuma-tproxy-cni:<version> (the project version of
# CMakeLists.txt, what deploy/ refers to) plus :dev on the same images. TAG=x builds only :x.
#
# usage: scripts/build-images.sh            (root)
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line
cd "$(dirname "$0")/.."

VERSION=$(sed -n 's/^project(kuma-tproxy VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
EXTRA_TAG=""
if [[ -z ${TAG:-} ]]; then TAG=$VERSION EXTRA_TAG=dev; fi
BASE=$(sed -n 's/^FROM \([^ ]*\) AS build$/\1/p' Dockerfile)
INIT_IMAGE=${INIT_IMAGE:-kuma-tproxy-init:$TAG}
CNI_IMAGE=${CNI_IMAGE:-kuma-tproxy-cni:$TAG}
export BUILDAH_ISOLATION=chroot

log() { echo "build-images: $*" >&2; }

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { log "$tool is missing (scripts/install-deps.sh installs it)"; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { log "needs root (buildah storage and debootstrap)"; exit 1; }

[[ -n $BASE ]] || { log "no 'FROM ... AS build' line in the Dockerfile"; exit 1; }
if buildah inspect --type image "$BASE" >/dev/null 2>&1; then
  log "base image $BASE: cached"
else
  log "base image $BASE: debootstrap --variant=minbase bookworm (once)"
  rootfs=$(mktemp -d /tmp/kt-base-rootfs.XXXXXX)
  ctr=""
  cleanup() {
    if [[ -n "$ctr" ]]; then buildah rm "$ctr" >/dev/null 2>&1 || true; fi
    rm -rf "$rootfs"
  }
  trap cleanup EXIT
  debootstrap --variant=minbase bookworm "$rootfs" >&2
  # The name promises a point release; the mirror decides what debootstrap installs.
  release=$(cat "$rootfs/etc/debian_version")
  [[ $BASE == *":$release-"* ]] ||
    log "warning: the mirror installed Debian $release, but the Dockerfile pins $BASE"
  # Keep the base small and reproducible: no apt lists or caches, no docs.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/*
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$ctr"
  buildah commit -q "$ctr" "$BASE" >/dev/null
  cleanup
  trap - EXIT
fi

for target in init cni; do
  image=$INIT_IMAGE
  [[ $target == cni ]] && image=$CNI_IMAGE
  log "building target $target as $image"
  buildah bud --pull-never --layers -q --target "$target" -t "$image" -f Dockerfile . >&2
  [[ -z $EXTRA_TAG ]] || buildah tag "$image" "${image%:*}:$EXTRA_TAG"
done

# Machine output: one line per image name with its uncompressed size.
for image in "$INIT_IMAGE" "$CNI_IMAGE"; do
  echo "$image $(buildah images --format '{{.Size}}' "$image" | head -n1)"
  [[ -z $EXTRA_TAG ]] || echo "${image%:*}:$EXTRA_TAG $(buildah images --format '{{.Size}}' "$image" | head -n1)"
done
