#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules (no prebuilt downloads) into
# a cache folder outside the clone, once per machine and version. Re-running is
# a no-op while the version stamp matches.
#
#   build-control-plane.sh [KUBERNETES_VERSION]   default: KUBERNETES_VERSION of test/e2e/versions.env
#                                                 (an older one, e.g. v1.34.4, for API-level checks)
#   build-control-plane.sh compat                 every KUBERNETES_COMPAT_VERSIONS entry of versions.env
#   E2E_CACHE_DIR   cache root (default: ~/.cache/otel-injector/e2e); kube-apiserver and etcd in
#                   $E2E_CACHE_DIR/<version>/bin, etcd built once in $E2E_CACHE_DIR/etcd-<version>
#   E2E_FORCE_BUILD=1  rebuild even if the stamp matches
#
# Recipe: kube-apiserver as test/e2e/kube-module.sh builds every Kubernetes binary
# (a throwaway module requiring k8s.io/kubernetes, staging modules replaced by
# their published v0.Y.Z); a second module requires go.etcd.io/etcd/server/v3
# and builds its main package.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
if [[ "${1:-}" == "compat" ]]; then
  IFS=, read -r -a compat <<< "$KUBERNETES_COMPAT_VERSIONS"
  for v in "${compat[@]}"; do bash "${BASH_SOURCE[0]}" "$v"; done
  exit 0
fi
KUBERNETES_VERSION="${1:-$KUBERNETES_VERSION}"
[[ "$KUBERNETES_VERSION" =~ ^v1\.[0-9]+\.[0-9]+$ ]] || { echo "build-control-plane: bad Kubernetes version '$KUBERNETES_VERSION'" >&2; exit 1; }

command -v go >/dev/null || { echo "build-control-plane: a Go toolchain (>= 1.26) is required" >&2; exit 1; }

# shellcheck source=kube-module.sh
source "$here/kube-module.sh"
root="$(e2e_cache_root)"
cache="$root/$KUBERNETES_VERSION"
bin="$cache/bin"
stamp="$bin/VERSIONS"
RECIPE=3  # bump when the build recipe changes
want="recipe=$RECIPE kubernetes=$KUBERNETES_VERSION etcd=$ETCD_VERSION goos=$(go env GOOS) goarch=$(go env GOARCH)"
edir="$root/etcd-$ETCD_VERSION"
estamp="$edir/etcd.version"
ewant="recipe=$RECIPE etcd=$ETCD_VERSION goos=$(go env GOOS) goarch=$(go env GOARCH)"

mkdir -p "$bin" "$cache/build" "$edir"
exec 9>"$root/build.lock"
flock 9

if [[ "${E2E_FORCE_BUILD:-}" != "1" && -f "$stamp" && "$(cat "$stamp")" == "$want" \
      && -x "$bin/kube-apiserver" && -x "$bin/etcd" ]]; then
  echo "control plane up to date in $bin ($want)"
  exit 0
fi

# (kube-module.sh exports GOWORK=off: a go.work in a parent folder must not put these throwaway modules in workspace mode.)
start=$(date +%s)

# --- kube-apiserver -------------------------------------------------------
kdir="$cache/build/kube-apiserver"
write_kube_module "$kdir" e2e.local/kube-apiserver "$KUBERNETES_VERSION" kube-apiserver
ldflags="$(kube_ldflags "$KUBERNETES_VERSION")"
build_kube() { (cd "$kdir" && nice -n 19 go build -trimpath -ldflags="$ldflags" -o "$bin/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver); }
# One retry from a fresh go.mod: a single run on a busy machine once failed to see the package in
# the required module and went looking for "latest" (not reproduced since; check_module guards it).
if ! build_kube; then
  echo "build-control-plane: kube-apiserver build failed; retrying once" >&2
  write_kube_module "$kdir" e2e.local/kube-apiserver "$KUBERNETES_VERSION" kube-apiserver
  build_kube
fi
check_module build-control-plane "$bin/kube-apiserver.tmp" k8s.io/kubernetes "$KUBERNETES_VERSION"
mv -f "$bin/kube-apiserver.tmp" "$bin/kube-apiserver"
mid=$(date +%s)
echo "kube-apiserver built in $((mid - start))s"

# --- etcd (once per etcd version, shared by every Kubernetes version) -----
if [[ "${E2E_FORCE_BUILD:-}" == "1" || ! -x "$edir/etcd" || ! -f "$estamp" || "$(cat "$estamp")" != "$ewant" ]]; then
  emod="$edir/build"
  rm -rf "$emod" && mkdir -p "$emod"
  cat > "$emod/go.mod" <<EOM
module e2e.local/etcd

go 1.24.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOM
  cat > "$emod/tools.go" <<'EOM'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
EOM
  (cd "$emod" && nice -n 19 go build -trimpath -ldflags='-s -w' -o "$edir/etcd.tmp" go.etcd.io/etcd/server/v3)
  check_module build-control-plane "$edir/etcd.tmp" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
  mv -f "$edir/etcd.tmp" "$edir/etcd"
  echo "$ewant" > "$estamp"
fi
check_module build-control-plane "$edir/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
cp -f "$edir/etcd" "$bin/etcd.tmp" && mv -f "$bin/etcd.tmp" "$bin/etcd"
end=$(date +%s)
echo "etcd ready in $((end - mid))s"

"$bin/kube-apiserver" --version
"$bin/etcd" --version | head -1
echo "$want" > "$stamp"
echo "control plane built in $((end - start))s into $bin ($(du -sh "$bin" | cut -f1))"
