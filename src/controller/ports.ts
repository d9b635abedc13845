// What the controller needs from the API, as small interfaces: the real ones are in kube.ts.

/** The subset of client-node's informer (ListWatch) the controller uses. */
export interface Informer<T> {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error', cb: (err: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  list(namespace?: string): ReadonlyArray<T>;
}

export interface LeaseRecord {
  readonly resourceVersion: string;
  readonly holder: string;
  readonly acquireMs: number;
  readonly renewMs: number;
  readonly durationSeconds: number;
  readonly transitions: number;
}

export interface LeaseApi {
  get(namespace: string, name: string): Promise<LeaseRecord | undefined>;
  create(namespace: string, name: string, record: Omit<LeaseRecord, 'resourceVersion'>): Promise<LeaseRecord>;
  /** Fails with status 409 when resourceVersion is no longer current (another replica wrote it). */
  replace(namespace: string, name: string, resourceVersion: string, record: Omit<LeaseRecord, 'resourceVersion'>): Promise<LeaseRecord>;
}
