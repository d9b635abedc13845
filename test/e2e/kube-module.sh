# Sourced by test/e2e/build-control-plane.sh and test/node-e2e/build-node.sh: the one recipe for building
# a binary of k8s.io/kubernetes from Go modules (no prebuilt downloads). A throwaway module requires
# k8s.io/kubernetes at the pinned version and replaces each staging module (listed as "=> ./staging/..."
# in that version's own go.mod, read from what `go mod download -json` returns) by its published v0.Y.Z.

# e2e_cache_root: the build cache, outside the clone so that every clone and worktree of the machine
# reuses it (E2E_CACHE_DIR moves it); one folder per version: <root>/<kubernetes version>/bin,
# <root>/etcd-<version>, <root>/containerd-<version>/bin, <root>/runc-<version>/bin.
e2e_cache_root() { echo "${E2E_CACHE_DIR:-$HOME/.cache/otel-injector/e2e}"; }

# check_module WHO BINARY MODULE VERSION: the main package's module as recorded in the binary must be the
# pinned one (with -mod=mod, an import the build list cannot satisfy would otherwise resolve to "latest").
check_module() {
  local got
  got="$(go version -m "$2" | awk -v m="$3" '$1 == "mod" && $2 == m { print $3 }')"
  [[ "$got" == "$4" ]] || { echo "$1: $2 was built from $3 '$got', expected $4" >&2; exit 1; }
}

# write_kube_module DIR MODULE_NAME KUBERNETES_VERSION CMD...: go.mod (with the staging replaces) and a
# tools.go importing k8s.io/kubernetes/cmd/<CMD> for each CMD, in DIR (emptied first).
write_kube_module() {
  local dir="$1" name="$2" version="$3"
  shift 3
  local minor="${version#v1.}" gomod_file staging m c
  rm -rf "$dir" && mkdir -p "$dir"
  gomod_file="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$version" \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "$gomod_file" ]] || { echo "could not download k8s.io/kubernetes@$version go.mod" >&2; exit 1; }
  mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$gomod_file")
  (( ${#staging[@]} > 10 )) || { echo "found only ${#staging[@]} staging modules in $gomod_file" >&2; exit 1; }
  echo "kubernetes $version: replacing ${#staging[@]} staging modules with v0.$minor"
  {
    echo "module $name"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes $version"
    echo
    echo "replace ("
    for m in "${staging[@]}"; do echo "	$m => $m v0.$minor"; done
    echo ")"
  } > "$dir/go.mod"
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    for c in "$@"; do echo "import _ \"k8s.io/kubernetes/cmd/$c\""; done
  } > "$dir/tools.go"
}

# kube_ldflags KUBERNETES_VERSION: stamps the version the way Kubernetes' own build does (else
# /version says v0.0.0-master), and strips the binary.
kube_ldflags() {
  local version="$1" major minor flags="-s -w" pkg
  major="${version#v}"; major="${major%%.*}"
  minor="${version#v1.}"; minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}

export GOTOOLCHAIN=local GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
