#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules (no prebuilt downloads) into
# a cache folder, once per machine. Re-running is a no-op while the version
# stamp matches.
#
#   E2E_CACHE_DIR   cache root (default: <repo>/.cache/e2e); binaries in $E2E_CACHE_DIR/bin
#   E2E_FORCE_BUILD=1  rebuild even if the stamp matches
#
# Recipe: a throwaway module requires k8s.io/kubernetes at a pinned version
# and replaces every staging module (listed as "=> ./staging/..." in that
# version's go.mod) by its published v0.Y.Z; a second module requires
# go.etcd.io/etcd/server/v3 and builds its main package.
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

# The main package's module as recorded in the binary must be the pinned one:
# with -mod=mod, an import the build list cannot satisfy would otherwise be
# resolved to "latest" without a word.
check_module() { # binary module version
  local got
  got="$(go version -m "$1" | awk -v m="$2" '$1 == "mod" && $2 == m { print $3 }')"
  [[ "$got" == "$3" ]] || { echo "build-control-plane: $1 was built from $2 '$got', expected $3" >&2; exit 1; }
}

mkdir -p "$bin" "$cache/build"
exec 9>"$cache/build.lock"
flock 9

if [[ "${E2E_FORCE_BUILD:-}" != "1" && -f "$stamp" && "$(cat "$stamp")" == "$want" \
      && -x "$bin/kube-apiserver" && -x "$bin/etcd" ]]; then
  echo "control plane up to date in $bin ($want)"
  exit 0
fi

# GOWORK=off: a go.work in a parent folder must not put these throwaway modules in workspace mode.
export GOTOOLCHAIN=local GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
start=$(date +%s)
minor="${KUBERNETES_VERSION#v1.}"   # 34.4
staging_version="v0.$minor"        # v0.34.4

# --- kube-apiserver -------------------------------------------------------
kdir="$cache/build/kube-apiserver"
rm -rf "$kdir" && mkdir -p "$kdir"
gomod_file="$(cd "$kdir" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[[ -f "$gomod_file" ]] || { echo "could not download k8s.io/kubernetes@$KUBERNETES_VERSION go.mod" >&2; exit 1; }
mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$gomod_file")
(( ${#staging[@]} > 10 )) || { echo "found only ${#staging[@]} staging modules in $gomod_file" >&2; exit 1; }
echo "kubernetes $KUBERNETES_VERSION: replacing ${#staging[@]} staging modules with $staging_version"
write_kube_module() {
  echo "module e2e.local/kube-apiserver"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
  echo
  echo "replace ("
  for m in "${staging[@]}"; do echo "	$m => $m $staging_version"; done
  echo ")"
}
write_kube_module > "$kdir/go.mod"
cat > "$kdir/tools.go" <<'EOF'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
EOF
# stamp the version the way Kubernetes' own build does (else /version says v0.0.0-master)
kmajor="${KUBERNETES_VERSION#v}"; kmajor="${kmajor%%.*}"
kminor="${minor%%.*}"
vflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  vflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$kmajor -X $pkg.gitMinor=$kminor"
  vflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
build_kube() { (cd "$kdir" && go build -trimpath -ldflags="-s -w$vflags" -o "$bin/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver); }
# One retry from a fresh go.mod: a single run on a busy machine once failed to see the package in
# the required module and went looking for "latest" (not reproduced since; check_module guards it).
if ! build_kube; then
  echo "build-control-plane: kube-apiserver build failed; retrying once" >&2
  write_kube_module > "$kdir/go.mod"
  build_kube
fi
check_module "$bin/kube-apiserver.tmp" k8s.io/kubernetes "$KUBERNETES_VERSION"
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
check_module "$bin/etcd.tmp" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
mv -f "$bin/etcd.tmp" "$bin/etcd"
end=$(date +%s)
echo "etcd built in $((end - mid))s"

"$bin/kube-apiserver" --version
"$bin/etcd" --version | head -1
echo "$want" > "$stamp"
echo "control plane built in $((end - start))s into $bin ($(du -sh "$bin" | cut -f1))"
