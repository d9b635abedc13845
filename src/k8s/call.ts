// Calls to the API with errors turned into KubeApiError carrying only the Status message (never request
// bodies), shared by the webhook's certificate code and the controller.
import { ApiException } from '@kubernetes/client-node';
import { KubeApiError } from './errors.js';

/** Converts client errors to KubeApiError with only the Status message (never request bodies). */
export function apiError(operation: string, error: unknown): KubeApiError {
  if (error instanceof ApiException) {
    const body = (typeof error.body === 'string' ? safeJson(error.body) : error.body) as { message?: string } | undefined;
    return new KubeApiError(error.code, operation, body?.message ?? 'request failed');
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new KubeApiError(0, operation, code ?? (error instanceof Error ? error.message : String(error)));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

export async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw apiError(operation, error);
  }
}

export async function orUndefinedOn404<T>(operation: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call(operation, run);
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}
