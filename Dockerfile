# syntax=docker/dockerfile:1
# otel-injector: two images from one file (docs/images.md has sizes and how each is tested).
#   docker build --target webhook -t otel-injector:dev .          the admission webhook
#   docker build --target preload -t otel-injector-preload:dev .  the init image with the preload
# Base images are build args pinned by digest; the tests build this very file with local bases.
# WEBHOOK_BASE_IMAGE must have node at /nodejs/bin/node (the distroless layout).

ARG BUILD_IMAGE=docker.io/library/node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
ARG WEBHOOK_BASE_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a
ARG BUSYBOX_IMAGE=docker.io/library/busybox:1.37.0-musl@sha256:222ad6d973c0d198014546a65cd02c5fdedcc172123c5b4c2bf0af636550bd94

# ---- build: compile the webhook (tsc) and bundle the preload (esbuild) --------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# (npm's download cache is removed in the same step: it would double the layer)
RUN npm ci --ignore-scripts --cache /tmp/npm-cache && rm -rf /tmp/npm-cache
COPY . .
RUN npm run build && npm run build:preload \
 && test -f dist/main.js && test -f dist/preload/register.cjs \
 && mkdir -p /out && cp -R dist /out/dist && rm -rf /out/dist/preload \
 && find /out/dist -type f -name '*.map' -exec rm -f {} +

# ---- runtime-deps: production dependencies only, without type declarations and source maps -------
# (never loaded at run time; about 45% of the bytes of this tree)
FROM ${BUILD_IMAGE} AS runtime-deps
WORKDIR /src
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --cache /tmp/npm-cache && rm -rf /tmp/npm-cache \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -exec rm -f {} +

FROM ${BUSYBOX_IMAGE} AS copy-tool
# (buildah 1.28 leaks a working container for a stage without instructions)
LABEL org.opencontainers.image.title="copy tool source"

# ---- preload: the init image; its default command is the webhook's default INJECT_INIT_COMMAND --
# Only a static busybox (called as cp) and the bundled preload. `cp -R` without -p/-a creates the
# files as the running user and never tries to preserve ownership, so it works for any non-root
# user in an emptyDir (0777, or group-owned by the pod's fsGroup with the setgid bit).
FROM scratch AS preload
COPY --from=copy-tool /bin/busybox /bin/cp
COPY --from=build /src/dist/preload/ /otel-preload/
USER 65532:65532
CMD ["/bin/cp", "-R", "/otel-preload/.", "/otel-injector/"]

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
