// Chooses the certificate source for the configured CERT_MODE.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { CertConfig } from '../config/index.js';
import { EphemeralSource } from './ephemeral.js';
import { CertificateError } from './errors.js';
import { FilesSource } from './files.js';
import { SelfManagedSource } from './self-managed.js';
import { createCertKubeApi } from '../k8s/client.js';
import type { CertKubeApi } from '../k8s/types.js';
import type { CertificateSource } from './types.js';

export type { CertificateSource, TlsMaterial } from './types.js';
export { CertificateError } from './errors.js';

export interface CertificateDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Only used by `self-managed`. */
  readonly kubeConfig?: KubeConfig;
  /** Overrides the client built from kubeConfig (tests). */
  readonly kubeApi?: CertKubeApi;
}

export function createCertificateSource(config: CertConfig, deps: CertificateDeps): CertificateSource {
  const logger = deps.logger.child({ component: 'certs', mode: config.mode });
  switch (config.mode) {
    case 'ephemeral':
      return new EphemeralSource({ logger, clock: deps.clock }, config.validityDays);
    case 'files':
      if (config.certFile === undefined || config.keyFile === undefined) {
        throw new CertificateError('files mode needs TLS_CERT_FILE and TLS_KEY_FILE');
      }
      return new FilesSource(
        { logger, clock: deps.clock },
        { certFile: config.certFile, keyFile: config.keyFile, checkIntervalSeconds: config.checkIntervalSeconds },
      );
    case 'self-managed': {
      const api = deps.kubeApi ?? (deps.kubeConfig === undefined ? undefined : createCertKubeApi(deps.kubeConfig));
      if (api === undefined) throw new CertificateError('self-managed mode needs a Kubernetes client configuration');
      return new SelfManagedSource({ logger, clock: deps.clock, api }, config);
    }
  }
}
