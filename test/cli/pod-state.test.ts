// `status`'s per-pod line: the payload version it shows comes from the init container's image, or from the
// image volume's reference for a pod that got the payload as an image volume (docs/delivery.md).
import t from 'tap';
import type { V1Pod } from '@kubernetes/client-node';
import { podReport } from '../../src/cli/pod-state.js';
import { admit, deploymentPod, testConfig } from '../support/admission.js';

t.test('the payload version of an injected pod, in both deliveries', async (t) => {
  for (const delivery of ['init-container', 'image-volume']) {
    const { pod } = admit(deploymentPod(), testConfig({ INJECT_DELIVERY: delivery, INJECT_PAYLOAD_IMAGE: 'registry.example.com/otel/payload:2.4.1' }));
    const report = podReport({ ...pod, metadata: { ...pod.metadata, name: 'orders-api-1', namespace: 'bakery-ia' } } as V1Pod, true, undefined);
    t.equal(report.state, 'injected', delivery);
    t.equal(report.payload, '2.4.1', `${delivery}: the payload version`);
    if (delivery === 'image-volume') t.match(report.detail, /delivery: image-volume \(configured\)$/, 'the detail says how');
  }
});
