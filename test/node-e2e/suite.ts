// What the node suite and its benchmark share: images, the node, an OTLP receiver on the host end of
// the pods' bridge, the webhook (dist/main.js with the chart's INJECT_* env) behind the chart's
// MutatingWebhookConfiguration (url clientConfig), and one namespace labelled for injection, one not.
import { AppsV1Api, type CoreV1Api } from '@kubernetes/client-node';
import { startWebhook, type TeardownHost, type Webhook } from '../e2e/harness.js';
import { loopbackServingCert } from '../e2e/pki.js';
import { freePort } from '../e2e/procs.js';
import { deploymentEnv, parseManifests, pointWebhookAt, renderChart, RELEASE_NAMESPACE, type Manifest } from '../e2e/chart.js';
import { INJECT_LABEL, apis, applyWebhookConfig, createNamespace, deploymentPod, eventually, isInjected } from '../e2e/kube.js';
import { startReceiver, type Receiver } from '../support/receiver.mjs';
import { buildImages, PAYLOAD_IMAGE, type BuiltImage } from './images.js';
import { HOST_IP } from './node-config.js';
import { startNode, type Node } from './node.js';

export const ON = 'node-on';
export const OFF = 'node-off';

export interface Suite {
  node: Node;
  core: CoreV1Api;
  apps: AppsV1Api;
  receiver: Receiver;
  /** the TLS receiver of `SuiteOptions.tls`, which the webhook then sends pods to */
  tlsReceiver: Receiver | undefined;
  webhook: Webhook;
  /** Starts the webhook again on the same port with the same certificate (the configuration's url and caBundle stay valid). */
  restartWebhook(): Promise<Webhook>;
  /** the chart's INJECT_* settings the webhook runs with */
  chartEnv: Record<string, string>;
  /** the chart as rendered for the webhook (with `SuiteOptions.values`) */
  rendered: Manifest[];
  imagesMs: number;
  bringUpMs: number;
}

export interface SuiteOptions {
  /** a second OTLP receiver, over TLS (startReceiver's `tls`), on the host end of the bridge: the pods' collector */
  tls?: { key: string; cert: string; ca?: string; requestCert?: boolean };
  /** chart values (helm --set) given the collector URL the pods are sent to; the webhook runs with what they render */
  values?: (endpoint: string) => string[];
  /** more images for the node, built after the suite's own (e.g. java.test.ts's Java app) */
  images?: () => Promise<BuiltImage[]>;
}

export async function startSuite(t: TeardownHost, options: SuiteOptions = {}): Promise<Suite> {
  const started = Date.now();
  const images = await buildImages();
  const extra = (await options.images?.()) ?? [];
  const imagesMs = Date.now() - started;
  const node = await startNode(t, [images.pause, images.payload, images.app, images.pyApp, ...extra]);
  const bringUpMs = Date.now() - started - imagesMs;
  const { core, admission } = apis(node.cp.kubeConfig);
  const apps = node.cp.kubeConfig.makeApiClient(AppsV1Api);
  const receiver = await startReceiver({ host: HOST_IP });
  t.teardown(() => receiver.close());
  const tlsReceiver = options.tls === undefined ? undefined : await startReceiver({ host: HOST_IP, tls: options.tls });
  if (tlsReceiver !== undefined) t.teardown(() => tlsReceiver.close());
  const endpoint = tlsReceiver?.url ?? receiver.url;
  const rendered = parseManifests(await renderChart(options.values?.(endpoint) ?? []));
  const chartEnv = Object.fromEntries(Object.entries(deploymentEnv(rendered, RELEASE_NAMESPACE)).filter(([k]) => k.startsWith('INJECT_')));
  const opts = {
    port: await freePort(),
    cert: loopbackServingCert('node-e2e-webhook-ca'),
    env: { ...chartEnv, INJECT_PAYLOAD_IMAGE: PAYLOAD_IMAGE, INJECT_IMAGE_PULL_POLICY: 'Never', INJECT_OTLP_ENDPOINT: endpoint },
  };
  const webhook = await startWebhook(t, node.cp.dir, opts);
  const restartWebhook = (): Promise<Webhook> => startWebhook(t, node.cp.dir, { ...opts, logName: 'webhook-again' });
  await applyWebhookConfig(admission, pointWebhookAt(rendered, `${webhook.url}/mutate`, webhook.caPem));
  await createNamespace(core, ON, { [INJECT_LABEL]: 'enabled' });
  await createNamespace(core, OFF);
  const warm = await eventually(() => core.createNamespacedPod({ namespace: ON, body: deploymentPod('warmup'), dryRun: 'All' }), isInjected);
  if (!isInjected(warm)) throw new Error(`webhook never became active:\n${webhook.proc.tail()}`);
  return { node, core, apps, receiver, tlsReceiver, webhook, restartWebhook, chartEnv, rendered, imagesMs, bringUpMs };
}
