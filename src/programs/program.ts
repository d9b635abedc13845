// What main.ts runs: one of two programs (the webhook, the controller), each built from the parsed
// configuration and what main.ts hands it. main.ts alone reads process.env, listens and handles signals;
// a program only says what to serve, what to start once it serves, and how to stop.
import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';

export type StopSignal = 'SIGTERM' | 'SIGINT';

/** What main.ts gives a program besides its configuration. */
export interface ProgramContext {
  readonly version: string;
  /** The machine's host name (the controller's leader identity when neither POD_NAME nor HOSTNAME is set). */
  readonly hostname: string;
  /** The Kubernetes client configuration (kubeconfig or in-cluster), loaded only when a program needs it. */
  readonly loadKubeConfig: () => Promise<KubeConfig>;
}

export interface Program {
  /** The server main.ts listens with, and where. */
  readonly app: FastifyInstance;
  readonly listen: { readonly port: number; readonly host: string };
  /** Called once the server listens: starts the rest and logs that the program runs. */
  started(): Promise<void>;
  /** The first stop signal (main.ts passes on no later one); main.ts exits 0 when this resolves. */
  stop(signal: StopSignal): Promise<void>;
  /** main.ts exits 0 this long after the first signal even when stop() has not finished. */
  stopDeadlineMs(signal: StopSignal): number;
}

/** Bound on the time a program may take to stop on top of its own waits. */
export const HARD_EXIT_GRACE_MS = 10_000;
