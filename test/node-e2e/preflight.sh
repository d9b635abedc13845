#!/usr/bin/env bash
# Runs first in `npm run test:node-e2e`: the node suite never skips. When this machine cannot run it
# (not root, no Debian packages and no apt-get to install them), it fails here with one line saying why,
# before anything is built. It installs libseccomp-dev when missing (build-runtime.sh builds runc with it).
set -euo pipefail
fail() { echo "node-e2e: FAILED before start: $*" >&2; exit 1; }
[[ "$(id -u)" == "0" ]] || fail "needs root (it runs containerd, runc and a kubelet, creates a bridge and cgroups); run as root"
[[ -d /sys/fs/cgroup ]] || fail "no /sys/fs/cgroup: the kubelet needs cgroups"
command -v ip >/dev/null || fail "no 'ip' (iproute2): the suite creates the pods' bridge with it"
command -v go >/dev/null || fail "a Go toolchain (>= 1.26.8) is needed to build the kubelet, containerd and runc (build-node.sh, build-runtime.sh)"
command -v gcc >/dev/null || fail "gcc is needed to build the pause image (gcc -static) and runc (cgo)"
command -v flock >/dev/null || fail "flock (util-linux) is needed: one node-e2e run per machine"
have_all=1
command -v buildah >/dev/null || have_all=0
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]] || have_all=0
if (( have_all == 0 )) && ! command -v apt-get >/dev/null; then
  fail "buildah or the CNI plugins are missing and there is no apt-get to install them (Debian/Ubuntu packages: containernetworking-plugins buildah busybox-static)"
fi
if ! { command -v pkg-config >/dev/null && pkg-config --exists libseccomp; }; then
  command -v apt-get >/dev/null || fail "libseccomp-dev and pkg-config are needed to build runc with seccomp, and there is no apt-get to install them"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q -o DPkg::Lock::Timeout=600 libseccomp-dev pkg-config >/dev/null 2>&1 \
    || { apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null && apt-get install -y -q -o DPkg::Lock::Timeout=600 libseccomp-dev pkg-config >/dev/null; } \
    || fail "apt-get install libseccomp-dev pkg-config failed (runc is built with seccomp)"
fi
echo "node-e2e: preflight ok (root, cgroups, libseccomp-dev, packages present or apt-get available)"
