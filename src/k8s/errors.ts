import { InjectorError } from '../errors.js';

/**
 * A Kubernetes API call failed; `status` is the HTTP status (0 when there was no response), `detail` the
 * answer's Status message or the network cause (src/k8s/contract/api.ts makes these from client errors).
 */
export class KubeApiError extends InjectorError {
  constructor(
    readonly status: number,
    readonly operation: string,
    readonly detail: string,
  ) {
    super(status === 409 ? 'KUBE_CONFLICT' : 'KUBE_API', `${operation}: ${status === 0 ? '' : `HTTP ${status} `}${detail}`);
  }

  /** 409: someone else changed (or created) it first; re-read and retry. */
  get isConflict(): boolean {
    return this.status === 409;
  }
}
