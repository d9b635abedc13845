// Image volumes on the suite's node (containerd 2.x from build-runtime.sh, kubelet from build-node.sh): a plain
// pod (no webhook, no injection label) mounts the payload image's otel-payload/node as a read-only image volume
// (`subPath`) and reads every file as a random non-root uid under Pod Security `restricted`. The expected files
// are read from the payload image itself (buildah mount). Also which references the kubelet and containerd
// accept for a locally imported image (`ctr images import`): the tag and the image ID, not the repo digest.
import t from 'tap';
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { createNamespace } from '../e2e/kube.js';
import { APP_IMAGE, PAYLOAD_IMAGE, buildImages } from './images.js';
import { hostSnapshot, startNode } from './node.js';

t.setTimeout(20 * 60 * 1000);
const run = promisify(execFile);
const NS = 'imgvol';
const MOUNT = '/otel-injector/node';
const SUB_PATH = 'otel-payload/node';

/** Every file below `root` (relative path → size), as the payload image holds it. */
function walk(root: string, dir = root, out: Record<string, number> = {}): Record<string, number> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(root, p, out);
    else if (e.isFile()) out[p.slice(root.length + 1)] = statSync(p).size;
  }
  return out;
}

async function payloadFiles(): Promise<Record<string, number>> {
  const ctr = (await run('buildah', ['from', '--pull=never', PAYLOAD_IMAGE])).stdout.trim();
  try {
    const mnt = (await run('buildah', ['mount', ctr])).stdout.trim();
    return walk(join(mnt, SUB_PATH));
  } finally {
    await run('buildah', ['rm', ctr]);
  }
}

// Runs in the pod: reads every file below the mount, tries to write, prints one JSON line.
const READER = `const fs = require('fs'), path = require('path'); const root = ${JSON.stringify(MOUNT)};
const files = {}, unreadable = [];
(function walk(d) { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name);
  if (e.isDirectory()) walk(p); else { try { files[p.slice(root.length + 1)] = fs.readFileSync(p).length; } catch (err) { unreadable.push(p + ': ' + err.code); } } } })(root);
let write = 'allowed'; try { fs.writeFileSync(path.join(root, 'x'), 'x'); } catch (err) { write = err.code; }
console.log('IMGVOL ' + JSON.stringify({ uid: process.getuid(), gid: process.getgid(), files, unreadable, write }));`;

function readerPod(name: string, reference: string, uid: number): V1Pod {
  return {
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [{ name: 'p', image: { reference, pullPolicy: 'Never' } }],
      containers: [{
        name: 'reader',
        image: APP_IMAGE,
        imagePullPolicy: 'Never',
        command: ['/nodejs/bin/node', '-e', READER],
        volumeMounts: [{ name: 'p', mountPath: MOUNT, subPath: SUB_PATH, readOnly: true }],
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      }],
    },
  };
}

/** The pod once it has finished or its container waits for a reason other than being created (bounded: 2 min). */
async function finished(core: CoreV1Api, name: string): Promise<V1Pod> {
  const stuck = (p: V1Pod): boolean => (p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating') !== 'ContainerCreating';
  let pod = await core.readNamespacedPod({ name, namespace: NS });
  for (let i = 0; i < 240 && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed' && !stuck(pod); i++) {
    await sleep(500);
    pod = await core.readNamespacedPod({ name, namespace: NS });
  }
  return pod;
}

const waiting = (pod: V1Pod): string => JSON.stringify(pod.status?.containerStatuses?.[0]?.state ?? pod.status ?? {});

const images = await buildImages();
const node = await startNode(t, [images.pause, images.payload, images.app]);
const core = node.cp.kubeConfig.makeApiClient(CoreV1Api);
await createNamespace(core, NS, { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
const expected = await payloadFiles();

async function readThrough(reference: string, name: string): Promise<{ pod: V1Pod; uid: number; out?: { uid: number; gid: number; files: Record<string, number>; unreadable: string[]; write: string } }> {
  const uid = randomInt(10_000, 60_000);
  await core.createNamespacedPod({ namespace: NS, body: readerPod(name, reference, uid) });
  const pod = await finished(core, name);
  if (pod.status?.phase !== 'Succeeded') return { pod, uid };
  const log = await core.readNamespacedPodLog({ name, namespace: NS, container: 'reader' });
  const line = log.split('\n').find((l) => l.startsWith('IMGVOL '));
  return { pod, uid, out: line === undefined ? undefined : JSON.parse(line.slice('IMGVOL '.length)) };
}

await t.test('a plain pod reads the payload image as a read-only image volume (subPath), as a random non-root uid, restricted', async (tt) => {
  tt.ok(Object.keys(expected).includes('register.cjs'), `the payload image holds ${SUB_PATH}/register.cjs (${Object.keys(expected).length} files)`);
  const { pod, uid, out } = await readThrough(PAYLOAD_IMAGE, 'by-tag');
  tt.equal(pod.status?.phase, 'Succeeded', `pod by tag finished: ${waiting(pod)}`);
  tt.ok(out, 'the container printed what it read');
  if (out === undefined) return;
  tt.same({ uid: out.uid, gid: out.gid }, { uid, gid: uid }, 'ran as the random uid/gid');
  tt.same(out.unreadable, [], 'every file readable by that uid');
  tt.same(out.files, expected, 'the files and sizes are exactly the image\'s otel-payload/node');
  tt.equal(out.write, 'EROFS', 'the mount is read-only');
  const id = pod.status?.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, '') ?? '';
  const spec = JSON.parse((await run(node.ctr, ['--address', node.containerdSock, '-n', 'k8s.io', 'containers', 'info', id], { maxBuffer: 8 << 20 })).stdout) as { Spec: { mounts: Array<{ destination: string; options?: string[] }> } };
  const m = spec.Spec.mounts.find((x) => x.destination === MOUNT);
  tt.ok(m?.options?.includes('ro'), `containerd mounted ${MOUNT} read-only: ${JSON.stringify(m)}`);
});

await t.test('a locally imported image: its image ID works as the reference, its repo digest does not (ErrImageNeverPull)', async (tt) => {
  // ctr import records the tag and the image ID (sha256 of the config) as containerd image names, not the repo digest
  const ls = (await run(node.ctr, ['--address', node.containerdSock, '-n', 'k8s.io', 'images', 'ls'])).stdout.split('\n');
  const manifest = ls.map((l) => l.split(/\s+/)).find((f) => f[0] === PAYLOAD_IMAGE)?.[2];
  tt.match(manifest, /^sha256:[0-9a-f]{64}$/, `containerd lists ${PAYLOAD_IMAGE} with its manifest digest`);
  const byId = await readThrough(`sha256:${images.payload.id}`, 'by-id');
  tt.equal(byId.pod.status?.phase, 'Succeeded', `the image ID (sha256:<config digest>) is accepted: ${waiting(byId.pod)}`);
  tt.same(byId.out?.files, expected, 'same files through the image ID');
  // the kubelet asks containerd for the reference as written; a repo digest exists only for pulled images
  const digestRef = `${PAYLOAD_IMAGE.replace(/:[^:/]+$/, '')}@${manifest ?? ''}`;
  const byDigest = await readThrough(digestRef, 'by-digest');
  tt.equal(byDigest.pod.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ErrImageNeverPull', `${digestRef} is not known locally: ${waiting(byDigest.pod)}`);
});

await t.test('teardown restores the host', async (tt) => {
  await node.teardown();
  tt.same(await hostSnapshot(), node.before, 'sysctls, paths, cgroups, links and netns as before the bring-up');
});
