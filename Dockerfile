# Multi-stage build of the kuma-tproxy images.
#   init (default target): the kuma-init init container. Entrypoint `kuma-tproxy install`; also
#        `/usr/bin/kumactl install transparent-proxy` as Kuma's injector calls it.
#   cni:  the CNI DaemonSet image: /opt/cni/bin/kuma-cni (the plugin) and /install-cni (installer).
# Runtime stages are FROM scratch: the binary, its shared libraries, the BPF objects (in
# /usr/lib/kuma-tproxy/bpf, for --ebpf-programs-source-path) and (init) the
# iptables user tools. No shell, no package manager. scripts/build-images.sh builds both with buildah;
# `docker build -t kuma-tproxy-init:dev .` and `docker build --target cni -t kuma-tproxy-cni:dev .`
# build the same images with Docker (pulling the base from Docker Hub).

# The base is pinned to an exact Debian point release (12.11); scripts/build-images.sh reads this
# line and, offline, builds an image of that name with debootstrap from the Debian mirror.
FROM debian:12.11-slim AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake pkg-config clang llvm bpftool \
      libbpf-dev libmnl-dev libnftnl-dev libcli11-dev libspdlog-dev libfmt-dev \
      nlohmann-json3-dev libyaml-cpp-dev libssl-dev libelf-dev zlib1g-dev linux-libc-dev \
      iptables >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DKT_BUILD_TESTS=OFF \
      -DCMAKE_INSTALL_PREFIX=/opt/kt >/dev/null \
 && cmake --build /build -j"$(nproc)" >/dev/null \
 && cmake --install /build --strip >/dev/null \
 && /src/scripts/image-rootfs.sh init /opt/kt /rootfs/init \
 && /src/scripts/image-rootfs.sh cni /opt/kt /rootfs/cni

FROM scratch AS cni
COPY --from=build /rootfs/cni/ /
ENTRYPOINT ["/install-cni"]

FROM scratch AS init
COPY --from=build /rootfs/init/ /
ENV XTABLES_LOCKFILE=/tmp/xtables.lock
ENTRYPOINT ["/usr/bin/kuma-tproxy", "install"]
