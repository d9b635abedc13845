/** Resource detection: local detectors by default, cloud ones only when asked for by name. */
import type { Resource, ResourceDetector } from '@opentelemetry/resources';
import * as resources from '@opentelemetry/resources';

import { loadPackage } from './catalogue.js';

function req<T>(mod: unknown): T {
  return mod as T;
}

type DetectorLoader = () => ResourceDetector[];

const DETECTORS: Readonly<Record<string, DetectorLoader>> = {
  env: () => [resources.envDetector],
  host: () => [resources.hostDetector],
  os: () => [resources.osDetector],
  process: () => [resources.processDetector],
  serviceinstance: () => [resources.serviceInstanceIdDetector],
  container: () => [req<typeof import('@opentelemetry/resource-detector-container')>(require('@opentelemetry/resource-detector-container')).containerDetector],
  aws: () => {
    const m = req<typeof import('@opentelemetry/resource-detector-aws')>(loadPackage('resource-detector-aws'));
    return [m.awsEc2Detector, m.awsEcsDetector, m.awsEksDetector, m.awsBeanstalkDetector, m.awsLambdaDetector];
  },
  azure: () => {
    const m = req<typeof import('@opentelemetry/resource-detector-azure')>(loadPackage('resource-detector-azure'));
    return [m.azureAppServiceDetector, m.azureFunctionsDetector, m.azureVmDetector];
  },
  gcp: () => [req<typeof import('@opentelemetry/resource-detector-gcp')>(loadPackage('resource-detector-gcp')).gcpDetector],
  alibaba: () => [req<typeof import('@opentelemetry/resource-detector-alibaba-cloud')>(loadPackage('resource-detector-alibaba-cloud')).alibabaCloudEcsDetector],
};

export const LOCAL_DETECTORS = ['env', 'host', 'os', 'process', 'container', 'serviceinstance'];

/** `all` means every local detector plus every cloud one (upstream meaning); `none` means none. */
export function detectorNames(requested: readonly string[]): { names: string[]; unknown: string[] } {
  if (requested.includes('none')) return { names: [], unknown: [] };
  const expanded = requested.includes('all') ? Object.keys(DETECTORS) : [...requested];
  return {
    names: expanded.filter((n) => n in DETECTORS),
    unknown: expanded.filter((n) => !(n in DETECTORS)),
  };
}

export function buildResource(names: readonly string[]): Resource {
  const detectors = names.flatMap((n) => DETECTORS[n]?.() ?? []);
  // env last so OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME win over detected values.
  const ordered = [...detectors.filter((d) => d !== resources.envDetector), ...detectors.filter((d) => d === resources.envDetector)];
  return resources.defaultResource().merge(resources.detectResources({ detectors: ordered }));
}
