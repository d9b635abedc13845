#!/usr/bin/env bash
# Runs first in `npm run test:node-e2e`: the node suite never skips. When this machine cannot run it
# (not root, no Debian packages and no apt-get to install them), it fails here with one line saying why,
# before anything is built.
set -euo pipefail
fail() { echo "node-e2e: FAILED before start: $*" >&2; exit 1; }
[[ "$(id -u)" == "0" ]] || fail "needs root (it runs containerd, runc and a kubelet, creates a bridge and cgroups); run as root"
[[ -d /sys/fs/cgroup ]] || fail "no /sys/fs/cgroup: the kubelet needs cgroups"
command -v ip >/dev/null || fail "no 'ip' (iproute2): the suite creates the pods' bridge with it"
have_all=1
for b in containerd runc ctr buildah; do command -v "$b" >/dev/null || have_all=0; done
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]] || have_all=0
if (( have_all == 0 )) && ! command -v apt-get >/dev/null; then
  fail "containerd, runc, buildah or the CNI plugins are missing and there is no apt-get to install them (Debian/Ubuntu packages: containerd runc containernetworking-plugins buildah busybox-static)"
fi
command -v go >/dev/null || fail "a Go toolchain (>= 1.24) is needed to build kube-scheduler and the kubelet (build-node.sh)"
command -v gcc >/dev/null || fail "gcc is needed to build the pause image (gcc -static)"
command -v flock >/dev/null || fail "flock (util-linux) is needed: one node-e2e run per machine"
echo "node-e2e: preflight ok (root, cgroups, packages present or apt-get available)"
