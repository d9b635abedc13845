// The versions the end-to-end suites build and run (test/e2e/versions.env, which the build scripts source)
// and where the build scripts put their binaries: a cache outside the clone, one folder per version.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function readVersions(): Record<string, string> {
  const text = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'versions.env'), 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

function need(v: Record<string, string>, key: string): string {
  const value = v[key];
  if (value === undefined) throw new Error(`test/e2e/versions.env has no ${key}`);
  return value;
}

const v = readVersions();
export const KUBERNETES_VERSION = need(v, 'KUBERNETES_VERSION');
/** Older kube-apiserver releases for API-level checks (`bash test/e2e/build-control-plane.sh <version>`). */
export const KUBERNETES_COMPAT_VERSIONS = need(v, 'KUBERNETES_COMPAT_VERSIONS').split(',');
export const ETCD_VERSION = need(v, 'ETCD_VERSION');
export const CONTAINERD_VERSION = need(v, 'CONTAINERD_VERSION');
export const RUNC_VERSION = need(v, 'RUNC_VERSION');

/** Same default as e2e_cache_root in test/e2e/kube-module.sh. */
export const cacheRoot = process.env.E2E_CACHE_DIR ?? join(homedir(), '.cache', 'otel-injector', 'e2e');
/** kube-apiserver, etcd (build-control-plane.sh) and kube-controller-manager, kube-scheduler, kubelet (build-node.sh). */
export const kubeBinDir = (version: string = KUBERNETES_VERSION): string => join(cacheRoot, version, 'bin');
/** containerd, containerd-shim-runc-v2, ctr (test/node-e2e/build-runtime.sh). */
export const containerdBinDir = join(cacheRoot, `containerd-${CONTAINERD_VERSION}`, 'bin');
/** runc (test/node-e2e/build-runtime.sh). */
export const runcBinDir = join(cacheRoot, `runc-${RUNC_VERSION}`, 'bin');
