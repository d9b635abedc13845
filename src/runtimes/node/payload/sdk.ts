/**
 * Entry of sdk.cjs: the SDK and the packages shared with the per-instrumentation files.
 * `shared` is filled in by the build (scripts/build-payload.mjs) with one lazy getter per
 * package the instrumentation files import, so they all use this file's single copy.
 */
export { startPreload } from './start.js';
