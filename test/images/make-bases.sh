#!/usr/bin/env bash
# Builds the local stand-ins for the Dockerfile's public base images, so the very same Dockerfile
# builds here with no container registry:
#   busybox         static busybox from Debian's busybox-static  (stands in for busybox:*-musl)
#   node-distroless this machine's node binary + the libraries ldd lists, node at /nodejs/bin/node,
#                   ENTRYPOINT node, user 65532, no shell        (stands in for gcr.io/distroless/nodejs24)
#   node-build      node + npm + busybox as /bin/sh               (stands in for node:24-bookworm-slim)
#   python:3.X.Y    for each supported CPython minor (pythons.json) under ~/.pyenv/versions (newest patch): the
#                   interpreter tree (standard library, pip, no other package: no OpenTelemetry) + the
#                   libraries ldd lists + busybox as /bin/sh, python3 on PATH (stands in for
#                   python:3.X-slim: the Dockerfile's Python build stages and the test's app images)
#   jdk:17.X.Y      this machine's JDK 17 (/usr/lib/jvm/java-17-openjdk-amd64, Debian's symlinks into /etc resolved;
#                   no jmods, man pages or headers) at /opt/java/openjdk (Temurin's layout, on PATH, JAVA_HOME) + the
#                   libraries ldd lists + busybox as /bin/sh (stands in for eclipse-temurin:17-jdk: the Dockerfile's
#                   pre-check stage, the images test's JVM and the node suite's Java app image)
# "this machine's node" is the first node on PATH: under `npm run` that is node_modules/.bin/node, the
# Node 24 that the devDependency `node` brings (see docs/node-versions.md), so the stand-ins run Node 24
# whatever the system Node is.
# Usage: make-bases.sh PREFIX   (prints "NAME=IMAGE" lines; an image that already exists is kept)
set -euo pipefail

prefix="${1:-localhost/otel-injector-test}"
node_bin="$(readlink -f "$(command -v node)")"
node_ver="$("$node_bin" --version)"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
busybox_bin="$(command -v busybox)"
ca_bundle=/etc/ssl/certs/ca-certificates.crt

bb_image="$prefix/busybox:local"
distroless_image="$prefix/node-distroless:$node_ver"
build_image="$prefix/node-build:$node_ver"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# The static-ness of busybox is what the init image relies on: refuse anything else.
if ldd "$busybox_bin" >/dev/null 2>&1; then # ldd exits non-zero for a static binary
  echo "make-bases: $busybox_bin is not statically linked (install busybox-static)" >&2
  exit 1
fi

etc_files() { # $1 = rootfs
  mkdir -p "$1/etc" "$1/tmp"
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$1/etc/group"
}

node_files() { # $1 = rootfs, $2 = dir for the node binary
  mkdir -p "$1$2"
  cp "$node_bin" "$1$2/node"
  ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
    [ -n "$lib" ] || continue
    mkdir -p "$1$(dirname "$lib")"
    cp -L "$lib" "$1$lib"
  done
  mkdir -p "$1/etc/ssl/certs"
  cp -L "$ca_bundle" "$1/etc/ssl/certs/ca-certificates.crt"
}

commit_tar() { # $1 = rootfs, $2 = image, rest = buildah config flags
  local rootfs="$1" image="$2" ctr
  shift 2
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$rootfs.tar" .
  ctr="$(buildah from scratch)"
  buildah add "$ctr" "$rootfs.tar" / >/dev/null
  buildah config "$@" "$ctr"
  buildah commit -q "$ctr" "$image" >/dev/null
  buildah rm "$ctr" >/dev/null
}

if ! exists "$bb_image"; then
  r="$work/busybox"
  mkdir -p "$r/bin"
  cp "$busybox_bin" "$r/bin/busybox"
  for applet in sh cp ls cat mkdir rm; do ln -s busybox "$r/bin/$applet"; done
  etc_files "$r"
  commit_tar "$r" "$bb_image" --cmd '["/bin/sh"]'
fi

if ! exists "$distroless_image"; then
  r="$work/distroless"
  etc_files "$r"
  mkdir -p "$r/home/nonroot"
  chown 65532:65532 "$r/home/nonroot"
  node_files "$r" /nodejs/bin
  commit_tar "$r" "$distroless_image" --entrypoint '["/nodejs/bin/node"]' --user 65532:65532 \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
fi

if ! exists "$build_image"; then
  r="$work/build"
  etc_files "$r"
  mkdir -p "$r/root" "$r/bin" "$r/usr/local/lib/node_modules"
  node_files "$r" /usr/local/bin
  cp -R "$npm_dir" "$r/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$r/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$r/usr/local/bin/npx"
  cp "$busybox_bin" "$r/bin/busybox"
  for applet in sh cp ls cat mkdir rm mv find; do ln -s busybox "$r/bin/$applet"; done
  mkdir -p "$r/usr/bin"
  ln -s ../../bin/busybox "$r/usr/bin/env" # npm's "#!/usr/bin/env node"
  # The machine reaches the npm registry through an egress proxy with its own CA; a build
  # container needs the same trust the host has (users' builds use node's bundled roots).
  commit_tar "$r" "$build_image" --cmd '["node"]' \
    --env PATH=/usr/local/bin:/usr/bin:/bin \
    --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

# A pyenv build has an absolute RUNPATH to its own lib/: the tree keeps its path, and the usual
# /usr/local/bin names point into it.
python_files() { # $1 = rootfs, $2 = pyenv version dir, $3 = minor (3.X)
  local r="$1" dir="$2" minor="$3" lib
  mkdir -p "$r$dir/lib/python$minor/site-packages" "$r/usr/local/bin" "$r/bin" "$r/usr/bin" "$r/root"
  tar -C "$dir" -cf - --exclude="./lib/python$minor/test" --exclude="./lib/python$minor/idlelib" \
    --exclude="./lib/python$minor/tkinter" --exclude="./lib/python$minor/turtledemo" --exclude="./lib/python$minor/lib2to3/tests" \
    --exclude="./lib/python$minor/site-packages" --exclude="./lib/python$minor/config-*" --exclude='__pycache__' \
    --exclude='*.a' ./bin ./lib | tar -C "$r$dir" -xf -
  # site-packages: pip only (python:*-slim ships pip; nothing else, no OpenTelemetry)
  cp -R "$dir/lib/python$minor/site-packages"/pip "$dir/lib/python$minor/site-packages"/pip-*.dist-info "$r$dir/lib/python$minor/site-packages/"
  find "$r$dir" -name __pycache__ -prune -exec rm -rf {} +
  # What ldd lists for the interpreter and its modules, plus the whole C library as Debian ships it
  # (python:*-slim has all of libc6; wheels such as psutil's still link libpthread.so.0).
  { for bin in "$dir/bin/python$minor" "$dir"/lib/libpython*.so* "$dir/lib/python$minor/lib-dynload"/*.so; do
      [ -e "$bin" ] || continue
      ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
    done
    dpkg -L libc6 2>/dev/null | grep -E '^/(usr/)?lib(64)?/([^/]+/)?[^/]+\.so(\.[0-9]+)*$' | grep -v /gconv/ || true
  } | sort -u | while read -r lib; do
    [ -e "$lib" ] || continue
    case "$lib" in "$dir"/*) continue ;; esac
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done
  for name in python3 python "python$minor"; do ln -s "$dir/bin/python$minor" "$r/usr/local/bin/$name"; done
  cp "$busybox_bin" "$r/bin/busybox"
  for applet in sh cp ls cat mkdir rm mv find; do ln -s busybox "$r/bin/$applet"; done
  ln -s ../../bin/busybox "$r/usr/bin/env"
  mkdir -p "$r/etc/ssl/certs"
  cp -L "$ca_bundle" "$r/etc/ssl/certs/ca-certificates.crt"
}

pyenv_versions="${PYENV_ROOT:-$HOME/.pyenv}/versions"
python_rev=r2 # bump when python_files changes: an existing image of the same tag is kept
minors="$(node "$(dirname "$0")/../../scripts/pythons.mjs" minors)" # the supported minors (pythons.json)
for minor in $minors; do
  dir="$(ls -d "$pyenv_versions/$minor".* 2>/dev/null | grep -E "/$minor\.[0-9]+$" | sort -t. -k3 -n | tail -1 || true)"
  if [ -z "$dir" ]; then
    echo "make-bases: no CPython $minor under $pyenv_versions" >&2
    continue
  fi
  image="$prefix/python:$(basename "$dir")-$python_rev"
  if ! exists "$image"; then
    r="$work/python$minor"
    etc_files "$r"
    python_files "$r" "$dir" "$minor"
    # The registry is reached through an egress proxy with its own CA here (pip's PIP_CERT).
    commit_tar "$r" "$image" --cmd '["python3"]' \
      --env PATH=/usr/local/bin:/usr/bin:/bin --env LANG=C.UTF-8 \
      --env PIP_CERT=/etc/ssl/certs/ca-certificates.crt --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
  fi
  echo "PYTHON${minor/./}_IMAGE=$image"
done

jdk_home=/usr/lib/jvm/java-17-openjdk-amd64
jdk_rev=r1 # bump when the JDK stand-in's recipe changes
if [ -x "$jdk_home/bin/javac" ]; then
  jdk_ver="$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$jdk_home/release")"
  jdk_image="$prefix/jdk:$jdk_ver-$jdk_rev"
  if ! exists "$jdk_image"; then
    r="$work/jdk"
    etc_files "$r"
    mkdir -p "$r/opt/java/openjdk" "$r/bin" "$r/usr/bin" "$r/root"
    # -h: Debian's JDK links its conf/, cacerts, jvm.cfg… into /etc; the stand-in holds the files themselves
    tar -C "$jdk_home" -chf - --exclude=./jmods --exclude=./man --exclude=./docs --exclude=./include \
      --exclude=./lib/src.zip --exclude=./lib/libatk-wrapper.so . | tar -C "$r/opt/java/openjdk" -xf -
    find "$jdk_home/bin" "$jdk_home/lib" -name '*.so' ! -name libatk-wrapper.so -o -type f -perm -u+x -path "$jdk_home/bin/*" | while read -r bin; do
      ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
    done | sort -u | while read -r lib; do
      [ -e "$lib" ] || continue
      case "$lib" in "$jdk_home"/*) continue ;; esac
      mkdir -p "$r$(dirname "$lib")"
      cp -L "$lib" "$r$lib"
    done
    cp "$busybox_bin" "$r/bin/busybox"
    for applet in sh cp ls cat mkdir rm mv find; do ln -s busybox "$r/bin/$applet"; done
    ln -s ../../bin/busybox "$r/usr/bin/env"
    mkdir -p "$r/etc/ssl/certs"
    cp -L "$ca_bundle" "$r/etc/ssl/certs/ca-certificates.crt"
    commit_tar "$r" "$jdk_image" --cmd '["jshell"]' \
      --env JAVA_HOME=/opt/java/openjdk --env PATH=/opt/java/openjdk/bin:/usr/local/bin:/usr/bin:/bin --env LANG=C.UTF-8
  fi
  echo "JDK_IMAGE=$jdk_image"
else
  echo "make-bases: no JDK 17 at $jdk_home (apt-get install openjdk-17-jdk-headless)" >&2
fi

echo "BUSYBOX_IMAGE=$bb_image"
echo "WEBHOOK_BASE_IMAGE=$distroless_image"
echo "BUILD_IMAGE=$build_image"
