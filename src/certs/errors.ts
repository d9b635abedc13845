import { InjectorError } from '../errors.js';

/** Certificate material could not be obtained or is unusable. */
export class CertificateError extends InjectorError {
  constructor(message: string) {
    super('CERT_UNAVAILABLE', message);
  }
}
