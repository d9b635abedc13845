// The one adapter between @kubernetes/client-node calls and otel-injector's errors, used by the webhook's
// certificate code, the controller and the CLI: any failure becomes a KubeApiError with the HTTP status
// (0: no answer) and one line of detail, the Status message of the answer or the network cause; never a
// request body or a stack. The CLI turns a KubeApiError into its own message and exit code (cli/kube.ts).
import { KubeApiError } from '../errors.js';

/** HTTP status of a client-node ApiException (or a KubeApiError), 0 when the error is not an API answer. */
export function statusOf(error: unknown): number {
  if (error instanceof KubeApiError) return error.status;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : 0;
}

/** The answer's Status message, else its text, else the first line of the error. */
function answerMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim().slice(0, 300);
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : (error as Error).message?.split('\n')[0] ?? 'request failed';
}

function innermostMessage(error: unknown): string {
  let current = error as { message?: unknown; cause?: unknown } | null;
  let message = String((current as Error | null)?.message ?? error);
  for (let depth = 0; depth < 4 && current?.cause !== undefined && current.cause !== null; depth += 1) {
    current = current.cause as { message?: unknown; cause?: unknown };
    if (typeof current.message === 'string') message = current.message;
  }
  return message;
}

/** The network-level cause (ECONNREFUSED, certificate errors, ...) of a request that got no answer. */
function networkCause(error: unknown): string {
  let code: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null && code === undefined; depth += 1) {
    const found = (current as { code?: unknown }).code;
    if (typeof found === 'string') code = found;
    current = (current as { cause?: unknown }).cause;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined) return code === message ? code : `${code}: ${message}`;
  // fetch wraps the reason ("fetch failed" -> "bad port", a TLS error…): name the innermost one too
  const inner = innermostMessage(error);
  return inner === message ? message : `${message}: ${inner}`;
}

/** Any failure of the API call `operation` (e.g. `get secret ns/name`) as a KubeApiError. */
export function kubeApiError(operation: string, error: unknown): KubeApiError {
  if (error instanceof KubeApiError) return error;
  const status = statusOf(error);
  return new KubeApiError(status, operation, status === 0 ? networkCause(error) : answerMessage(error));
}

/** Runs one API call; a failure is thrown as a KubeApiError. */
export async function kubeCall<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw kubeApiError(operation, error);
  }
}

/** Like kubeCall, but 404 Not Found is undefined. */
export async function kubeFind<T>(operation: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw kubeApiError(operation, error);
  }
}
