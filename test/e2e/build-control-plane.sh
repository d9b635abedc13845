#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules (no prebuilt downloads) into
# a cache folder, once per machine. Re-running is a no-op while the version
# stamp matches.
#
#   E2E_CACHE_DIR   cache root (default: <repo>/.cache/e2e); binaries in $E2E_CACHE_DIR/bin
#   E2E_FORCE_BUILD=1  rebuild even if the stamp matches
#
# Recipe: kube-apiserver as test/e2e/kube-module.sh builds every Kubernetes binary
# (a throwaway module requiring k8s.io/kubernetes, staging modules replaced by
# their published v0.Y.Z); a second module requires go.etcd.io/etcd/server/v3
# and builds its main package.
set -euo pipefail

KUBERNETES_VERSION="v1.34.4"
ETCD_VERSION="v3.6.16"

command -v go >/dev/null || { echo "build-control-plane: a Go toolchain (>= 1.24) is required" >&2; exit 1; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${E2E_CACHE_DIR:-$repo/.cache/e2e}"
bin="$cache/bin"
stamp="$bin/VERSIONS"
RECIPE=2  # bump when the build recipe changes
want="recipe=$RECIPE kubernetes=$KUBERNETES_VERSION etcd=$ETCD_VERSION goos=$(go env GOOS) goarch=$(go env GOARCH)"

# shellcheck source=kube-module.sh
source "$here/kube-module.sh"

mkdir -p "$bin" "$cache/build"
exec 9>"$cache/build.lock"
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
build_kube() { (cd "$kdir" && go build -trimpath -ldflags="$ldflags" -o "$bin/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver); }
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

# --- etcd ------------------------------------------------------------------
edir="$cache/build/etcd"
rm -rf "$edir" && mkdir -p "$edir"
cat > "$edir/go.mod" <<EOF
module e2e.local/etcd

go 1.24.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
cat > "$edir/tools.go" <<'EOF'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
EOF
(
  cd "$edir"
  go build -trimpath -ldflags='-s -w' -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3
)
check_module build-control-plane "$bin/etcd.tmp" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
mv -f "$bin/etcd.tmp" "$bin/etcd"
end=$(date +%s)
echo "etcd built in $((end - mid))s"

"$bin/kube-apiserver" --version
"$bin/etcd" --version | head -1
echo "$want" > "$stamp"
echo "control plane built in $((end - start))s into $bin ($(du -sh "$bin" | cut -f1))"
