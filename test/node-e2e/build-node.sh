#!/usr/bin/env bash
# Builds kube-controller-manager, kube-scheduler and kubelet from Go modules
# (no prebuilt downloads) into the same cache as test/e2e/build-control-plane.sh,
# with the same recipe: a throwaway module requires k8s.io/kubernetes at the
# pinned version and replaces every staging module by its published v0.Y.Z.
# Re-running is a no-op while the stamp matches. kube-apiserver and etcd are
# built (or found up to date) by build-control-plane.sh, which this runs first.
#
#   E2E_CACHE_DIR   cache root (default: <repo>/.cache/e2e); binaries in $E2E_CACHE_DIR/bin
#   E2E_FORCE_BUILD=1  rebuild even if the stamp matches
set -euo pipefail

KUBERNETES_VERSION="v1.34.4"
# E2E_NODE_BINARIES narrows the list (test:e2e needs only kube-controller-manager); each binary has its
# own stamp, so building one never invalidates another.
read -r -a BINARIES <<< "${E2E_NODE_BINARIES:-kube-controller-manager kube-scheduler kubelet}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bash "$repo/test/e2e/build-control-plane.sh"

command -v go >/dev/null || { echo "build-node: a Go toolchain (>= 1.24) is required" >&2; exit 1; }
cache="${E2E_CACHE_DIR:-$repo/.cache/e2e}"
bin="$cache/bin"
RECIPE=1  # bump when the build recipe changes
want="recipe=$RECIPE kubernetes=$KUBERNETES_VERSION goos=$(go env GOOS) goarch=$(go env GOARCH)"

check_module() { # binary module version
  local got
  got="$(go version -m "$1" | awk -v m="$2" '$1 == "mod" && $2 == m { print $3 }')"
  [[ "$got" == "$3" ]] || { echo "build-node: $1 was built from $2 '$got', expected $3" >&2; exit 1; }
}

mkdir -p "$bin" "$cache/build"
exec 9>"$cache/build-node.lock"
flock 9

up_to_date() { [[ "${E2E_FORCE_BUILD:-}" != "1" && -x "$bin/$1" && -f "$bin/$1.version" && "$(cat "$bin/$1.version")" == "$want" ]]; }
todo=()
for b in "${BINARIES[@]}"; do up_to_date "$b" || todo+=("$b"); done
if (( ${#todo[@]} == 0 )); then
  echo "node binaries up to date in $bin: ${BINARIES[*]} ($want)"
  exit 0
fi

export GOTOOLCHAIN=local GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
start=$(date +%s)
minor="${KUBERNETES_VERSION#v1.}"
staging_version="v0.$minor"

kdir="$cache/build/kube-node"
rm -rf "$kdir" && mkdir -p "$kdir"
gomod_file="$(cd "$kdir" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[[ -f "$gomod_file" ]] || { echo "could not download k8s.io/kubernetes@$KUBERNETES_VERSION go.mod" >&2; exit 1; }
mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$gomod_file")
(( ${#staging[@]} > 10 )) || { echo "found only ${#staging[@]} staging modules in $gomod_file" >&2; exit 1; }
{
  echo "module e2e.local/kube-node"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
  echo
  echo "replace ("
  for m in "${staging[@]}"; do echo "	$m => $m $staging_version"; done
  echo ")"
} > "$kdir/go.mod"
{
  echo "//go:build tools"
  echo
  echo "package tools"
  echo
  for b in "${todo[@]}"; do echo "import _ \"k8s.io/kubernetes/cmd/$b\""; done
} > "$kdir/tools.go"
kmajor="${KUBERNETES_VERSION#v}"; kmajor="${kmajor%%.*}"
kminor="${minor%%.*}"
vflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  vflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$kmajor -X $pkg.gitMinor=$kminor"
  vflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
for b in "${todo[@]}"; do
  t0=$(date +%s)
  (cd "$kdir" && nice -n 19 go build -trimpath -ldflags="-s -w$vflags" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b")
  check_module "$bin/$b.tmp" k8s.io/kubernetes "$KUBERNETES_VERSION"
  mv -f "$bin/$b.tmp" "$bin/$b"
  echo "$want" > "$bin/$b.version"
  echo "$b built in $(( $(date +%s) - t0 ))s"
done
end=$(date +%s)
for b in "${todo[@]}"; do "$bin/$b" --version; done
echo "node binaries built in $((end - start))s into $bin"
