#!/usr/bin/env bash
# Builds kube-controller-manager, kube-scheduler and kubelet from Go modules
# (no prebuilt downloads) into the same cache as test/e2e/build-control-plane.sh,
# with the same recipe (test/e2e/kube-module.sh).
# Re-running is a no-op while the stamp matches. kube-apiserver and etcd are
# built (or found up to date) by build-control-plane.sh, which this runs first.
#
#   build-node.sh [KUBERNETES_VERSION]   default: KUBERNETES_VERSION of test/e2e/versions.env
#   E2E_CACHE_DIR   cache root (default: ~/.cache/otel-injector/e2e); binaries in $E2E_CACHE_DIR/<version>/bin
#   E2E_FORCE_BUILD=1  rebuild even if the stamp matches
set -euo pipefail

# E2E_NODE_BINARIES narrows the list (test:e2e needs only kube-controller-manager); each binary has its
# own stamp, so building one never invalidates another.
read -r -a BINARIES <<< "${E2E_NODE_BINARIES:-kube-controller-manager kube-scheduler kubelet}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=../e2e/versions.env
source "$repo/test/e2e/versions.env"
KUBERNETES_VERSION="${1:-$KUBERNETES_VERSION}"
bash "$repo/test/e2e/build-control-plane.sh" "$KUBERNETES_VERSION"
# shellcheck source=../e2e/kube-module.sh
source "$repo/test/e2e/kube-module.sh"

command -v go >/dev/null || { echo "build-node: a Go toolchain (>= 1.26) is required" >&2; exit 1; }
cache="$(e2e_cache_root)/$KUBERNETES_VERSION"
bin="$cache/bin"
RECIPE=1  # bump when the build recipe changes
want="recipe=$RECIPE kubernetes=$KUBERNETES_VERSION goos=$(go env GOOS) goarch=$(go env GOARCH)"

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

start=$(date +%s)
kdir="$cache/build/kube-node"
write_kube_module "$kdir" e2e.local/kube-node "$KUBERNETES_VERSION" "${todo[@]}"
ldflags="$(kube_ldflags "$KUBERNETES_VERSION")"
for b in "${todo[@]}"; do
  t0=$(date +%s)
  (cd "$kdir" && nice -n 19 go build -trimpath -ldflags="$ldflags" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b")
  check_module build-node "$bin/$b.tmp" k8s.io/kubernetes "$KUBERNETES_VERSION"
  mv -f "$bin/$b.tmp" "$bin/$b"
  echo "$want" > "$bin/$b.version"
  echo "$b built in $(( $(date +%s) - t0 ))s"
done
end=$(date +%s)
for b in "${todo[@]}"; do "$bin/$b" --version; done
echo "node binaries built in $((end - start))s into $bin"
