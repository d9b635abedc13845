import type { Logger } from 'pino';
import type { TlsMaterial } from './types.js';

/** Calls every change listener with the new material; one that throws is logged and the others still run. */
export function notifyListeners(listeners: Iterable<(material: TlsMaterial) => void>, material: TlsMaterial, logger: Logger): void {
  for (const listener of listeners) {
    try {
      listener(material);
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'certificate change listener failed');
    }
  }
}
