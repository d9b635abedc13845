# syntax=docker/dockerfile:1
# otel-injector: two images from one file (docs/images.md has sizes and how each is tested).
#   docker build --target webhook -t otel-injector:dev .          the admission webhook
#   docker build --target payload -t otel-injector-payload:dev .  the init image with every runtime's
#                                                                   payload, one folder each (node/, python/, java/)
# Base images are build args pinned by digest; the tests build this very file with local bases.
# WEBHOOK_BASE_IMAGE must have node at /nodejs/bin/node (the distroless layout).

ARG BUILD_IMAGE=docker.io/library/node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
ARG WEBHOOK_BASE_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a
ARG BUSYBOX_IMAGE=docker.io/library/busybox:1.37.0-musl@sha256:222ad6d973c0d198014546a65cd02c5fdedcc172123c5b4c2bf0af636550bd94
# One CPython per supported minor: each compiles its own lib/cp3X.zip (bytecode is per minor).
ARG PYTHON39_IMAGE=docker.io/library/python:3.9-slim@sha256:2d97f6910b16bd338d3060f261f53f144965f755599aab1acda1e13cf1731b1b
ARG PYTHON310_IMAGE=docker.io/library/python:3.10-slim@sha256:420fbb0e468d3eaf0f7e93ea6f7a48792cbcadc39d43ac95b96bee2afe4367da
ARG PYTHON311_IMAGE=docker.io/library/python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7
ARG PYTHON312_IMAGE=docker.io/library/python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea
ARG PYTHON313_IMAGE=docker.io/library/python:3.13-slim@sha256:7c61056e61ac89e852de05f3dc6fa51a6dd2181797bceed46aa725dd7cb2cd3b

# ---- build: compile the webhook (tsc) and bundle the Node payload (esbuild) ---------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# (npm's download cache is removed in the same step: it would double the layer)
RUN npm ci --ignore-scripts --cache /tmp/npm-cache && rm -rf /tmp/npm-cache
COPY . .
RUN npm run build && node scripts/build-payload.mjs --only node \
 && test -f dist/main.js && test -f dist/payload/node/register.cjs \
 && mkdir -p /out && cp -R dist /out/dist && rm -rf /out/dist/payload \
 && find /out/dist -type f -name '*.map' -exec rm -f {} +

# ---- runtime-deps: production dependencies only, without type declarations and source maps -------
# (never loaded at run time; about 45% of the bytes of this tree)
FROM ${BUILD_IMAGE} AS runtime-deps
WORKDIR /src
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --cache /tmp/npm-cache && rm -rf /tmp/npm-cache \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -exec rm -f {} +

# ---- python-*: the Python payload, each version's part built by that very CPython ---------------
# python-native fetches psutil's abi3 wheels for the four Linux platforms (native/<tag>/); each
# python-cp3X stage pip-installs the hash-pinned requirements, compiles them to sourceless .pyc and
# zips them (lib/cp3X.zip + cp3X.json), compiles psutil's modules and the bootstrap (sitecustomize.py,
# _otel_injector/, shipped as source) for itself (__pycache__), then imports it all back with the same
# interpreter (src/runtimes/python/build_lib.py). The payload stage merges the five /out trees.
FROM ${PYTHON313_IMAGE} AS python-native
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
COPY src/runtimes/python/build_lib.py ./
COPY src/runtimes/python/payload/requirements/ ./requirements/
RUN python3 build_lib.py native --requirements requirements/py310plus.txt --out /out/native

FROM ${PYTHON39_IMAGE} AS python-cp39
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
COPY src/runtimes/python/build_lib.py ./
COPY src/runtimes/python/payload/requirements/ ./requirements/
RUN python3 build_lib.py lib --requirements requirements/py39.txt --out /out/lib
COPY --from=python-native /out/native/ /out/native/
COPY src/runtimes/python/payload/sitecustomize.py /out/
COPY src/runtimes/python/payload/_otel_injector/ /out/_otel_injector/
RUN python3 build_lib.py native-pyc --out /out \
 && python3 build_lib.py bootstrap-pyc --out /out \
 && python3 -I -S build_lib.py verify --out /out

FROM ${PYTHON310_IMAGE} AS python-cp310
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
COPY src/runtimes/python/build_lib.py ./
COPY src/runtimes/python/payload/requirements/ ./requirements/
RUN python3 build_lib.py lib --requirements requirements/py310plus.txt --out /out/lib
COPY --from=python-native /out/native/ /out/native/
COPY src/runtimes/python/payload/sitecustomize.py /out/
COPY src/runtimes/python/payload/_otel_injector/ /out/_otel_injector/
RUN python3 build_lib.py native-pyc --out /out \
 && python3 build_lib.py bootstrap-pyc --out /out \
 && python3 -I -S build_lib.py verify --out /out

FROM ${PYTHON311_IMAGE} AS python-cp311
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
COPY src/runtimes/python/build_lib.py ./
COPY src/runtimes/python/payload/requirements/ ./requirements/
RUN python3 build_lib.py lib --requirements requirements/py310plus.txt --out /out/lib
COPY --from=python-native /out/native/ /out/native/
COPY src/runtimes/python/payload/sitecustomize.py /out/
COPY src/runtimes/python/payload/_otel_injector/ /out/_otel_injector/
RUN python3 build_lib.py native-pyc --out /out \
 && python3 build_lib.py bootstrap-pyc --out /out \
 && python3 -I -S build_lib.py verify --out /out

FROM ${PYTHON312_IMAGE} AS python-cp312
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
COPY src/runtimes/python/build_lib.py ./
COPY src/runtimes/python/payload/requirements/ ./requirements/
RUN python3 build_lib.py lib --requirements requirements/py310plus.txt --out /out/lib
COPY --from=python-native /out/native/ /out/native/
COPY src/runtimes/python/payload/sitecustomize.py /out/
COPY src/runtimes/python/payload/_otel_injector/ /out/_otel_injector/
RUN python3 build_lib.py native-pyc --out /out \
 && python3 build_lib.py bootstrap-pyc --out /out \
 && python3 -I -S build_lib.py verify --out /out

FROM ${PYTHON313_IMAGE} AS python-cp313
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
COPY src/runtimes/python/build_lib.py ./
COPY src/runtimes/python/payload/requirements/ ./requirements/
RUN python3 build_lib.py lib --requirements requirements/py310plus.txt --out /out/lib
COPY --from=python-native /out/native/ /out/native/
COPY src/runtimes/python/payload/sitecustomize.py /out/
COPY src/runtimes/python/payload/_otel_injector/ /out/_otel_injector/
RUN python3 build_lib.py native-pyc --out /out \
 && python3 build_lib.py bootstrap-pyc --out /out \
 && python3 -I -S build_lib.py verify --out /out

# ---- java: the Java payload (src/runtimes/java/build.mjs): the upstream agent jar, checked against its pinned
# sha256 and the repository's published one, and our pre-check compiled by Debian's JDK 17 (--release 8) ----
FROM ${BUILD_IMAGE} AS java
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jdk-headless && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/cache-dirs.mjs scripts/
COPY src/runtimes/java/build.mjs src/runtimes/java/
COPY src/runtimes/java/payload/ src/runtimes/java/payload/
RUN node src/runtimes/java/build.mjs /out && test -f /out/opentelemetry-javaagent.jar && test -f /out/otel-injector-javaagent.jar

FROM ${BUSYBOX_IMAGE} AS copy-tool
# (buildah 1.28 leaks a working container for a stage without instructions)
LABEL org.opencontainers.image.title="copy tool source"

# ---- payload: the init image; one folder per runtime under /otel-payload/, each wired by one COPY line --
# Only a static busybox (called as cp) and the payloads: node/ (the bundled Node.js payload), java/ (the
# upstream agent and our pre-check) and python/
# (the bootstrap as source, one zip + manifest per CPython minor, psutil per platform): no interpreter, no
# pip. The webhook's init container copies only the folders of the runtimes a pod gets; the image's own
# CMD copies them all. `cp -R` without -p/-a creates the files as the running user and never tries to
# preserve ownership, so it works for any non-root user in an emptyDir (0777, or group-owned by the pod's
# fsGroup with the setgid bit).
FROM scratch AS payload
COPY --from=copy-tool /bin/busybox /bin/cp
COPY --from=build /src/dist/payload/node/ /otel-payload/node/
COPY --from=python-cp39 /out/ /otel-payload/python/
COPY --from=python-cp310 /out/ /otel-payload/python/
COPY --from=python-cp311 /out/ /otel-payload/python/
COPY --from=python-cp312 /out/ /otel-payload/python/
COPY --from=python-cp313 /out/ /otel-payload/python/
COPY --from=java /out/ /otel-payload/java/
USER 65532:65532
CMD ["/bin/cp", "-R", "/otel-payload/node", "/otel-payload/python", "/otel-payload/java", "/otel-injector/"]

# ---- webhook: distroless node, no shell, non-root --------------------------------------------------
FROM ${WEBHOOK_BASE_IMAGE} AS webhook
WORKDIR /app
ENV NODE_ENV=production
COPY --from=runtime-deps /src/package.json ./package.json
COPY --from=runtime-deps /src/node_modules ./node_modules
COPY --from=build /out/dist ./dist
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["/app/dist/main.js"]
