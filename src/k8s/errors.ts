import { InjectorError } from '../errors.js';

/** A Kubernetes API call failed; `status` is the HTTP status (0 when there was no response). */
export class KubeApiError extends InjectorError {
  constructor(
    readonly status: number,
    readonly operation: string,
    message: string,
  ) {
    super(status === 409 ? 'KUBE_CONFLICT' : 'KUBE_API', `${operation}: ${status === 0 ? '' : `HTTP ${status} `}${message}`);
  }

  /** 409: someone else changed (or created) it first; re-read and retry. */
  get isConflict(): boolean {
    return this.status === 409;
  }
}
