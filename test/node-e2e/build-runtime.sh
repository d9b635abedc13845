#!/usr/bin/env bash
# Builds the node suite's container runtime from Go modules (no prebuilt downloads) into the e2e cache,
# outside the clone, once per machine and version; re-running is a no-op while the stamps match.
#   containerd, containerd-shim-runc-v2, ctr   github.com/containerd/containerd/v2, CGO_ENABLED=0 (the only
#                                              cgo part is the btrfs snapshotter, which drops out)
#   runc                                       github.com/opencontainers/runc, cgo + libseccomp (tag
#                                              seccomp: pods under Pod Security restricted ask for RuntimeDefault)
# Versions: test/e2e/versions.env. Output: $E2E_CACHE_DIR/containerd-<version>/bin and
# $E2E_CACHE_DIR/runc-<version>/bin (default root ~/.cache/otel-injector/e2e), one stamp per folder.
#   E2E_FORCE_BUILD=1  rebuild even if the stamps match
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=../e2e/versions.env
source "$repo/test/e2e/versions.env"
# shellcheck source=../e2e/kube-module.sh
source "$repo/test/e2e/kube-module.sh"
command -v go >/dev/null || { echo "build-runtime: a Go toolchain (>= 1.26.8 for containerd $CONTAINERD_VERSION) is required" >&2; exit 1; }
# `go install pkg@version` builds outside any module: none of the two go.mod files has replace/exclude.
export GOFLAGS="-buildvcs=false"
root="$(e2e_cache_root)"
platform="goos=$(go env GOOS) goarch=$(go env GOARCH)"
RECIPE=1  # bump when the build recipe changes
mkdir -p "$root"
exec 9>"$root/build-runtime.lock"
flock 9

fresh() { # folder want binaries...
  local dir="$1" want="$2" b
  shift 2
  [[ "${E2E_FORCE_BUILD:-}" != "1" && -f "$dir/VERSIONS" && "$(cat "$dir/VERSIONS")" == "$want" ]] || return 1
  for b in "$@"; do [[ -x "$dir/$b" ]] || return 1; done
}

# install DIR MODULE VERSION CGO TAGS LDFLAGS PKG...: go install into DIR.tmp, module checked, then moved in.
install() {
  local dir="$1" module="$2" version="$3" cgo="$4" tags="$5" ldflags="$6" b
  shift 6
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  local pkgs=()
  for b in "$@"; do pkgs+=("$b@$version"); done
  GOBIN="$dir.tmp" CGO_ENABLED="$cgo" nice -n 19 go install -trimpath -tags "$tags" -ldflags "$ldflags" "${pkgs[@]}"
  for b in "$dir.tmp"/*; do check_module build-runtime "$b" "$module" "$version"; done
  mkdir -p "$dir" && mv -f "$dir.tmp"/* "$dir"/ && rmdir "$dir.tmp"
}

start=$(date +%s)
cbin="$root/containerd-$CONTAINERD_VERSION/bin"
cwant="recipe=$RECIPE containerd=$CONTAINERD_VERSION $platform"
if fresh "$cbin" "$cwant" containerd containerd-shim-runc-v2 ctr; then
  echo "containerd up to date in $cbin ($cwant)"
else
  m=github.com/containerd/containerd/v2
  install "$cbin" "$m" "$CONTAINERD_VERSION" 0 "no_btrfs" "-s -w -X $m/version.Version=$CONTAINERD_VERSION" \
    "$m/cmd/containerd" "$m/cmd/containerd-shim-runc-v2" "$m/cmd/ctr"
  "$cbin/containerd" --version
  echo "$cwant" > "$cbin/VERSIONS"
  echo "containerd, shim and ctr built in $(( $(date +%s) - start ))s into $cbin"
fi

mid=$(date +%s)
rbin="$root/runc-$RUNC_VERSION/bin"
rwant="recipe=$RECIPE runc=$RUNC_VERSION $platform"
if fresh "$rbin" "$rwant" runc; then
  echo "runc up to date in $rbin ($rwant)"
else
  pkg-config --exists libseccomp || { echo "build-runtime: runc needs libseccomp-dev (apt-get install -y libseccomp-dev; test/node-e2e/preflight.sh installs it)" >&2; exit 1; }
  install "$rbin" github.com/opencontainers/runc "$RUNC_VERSION" 1 "seccomp urfave_cli_no_docs" "-s -w" github.com/opencontainers/runc
  "$rbin/runc" --version
  "$rbin/runc" --version | grep -q '^libseccomp: ' || { echo "build-runtime: $rbin/runc was built without seccomp" >&2; exit 1; }
  echo "$rwant" > "$rbin/VERSIONS"
  echo "runc built in $(( $(date +%s) - mid ))s into $rbin"
fi
