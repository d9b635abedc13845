// What the controller needs from the API, as small interfaces: the real ones are in kube.ts.

/** One page of a list: raw items as the API sent them, the list's resourceVersion and continue token. */
export interface ListPage {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
  /** Set when more pages follow (the `continue` token). */
  readonly continue?: string;
}

/** A watch event as the API sends it (BOOKMARK carries only a resourceVersion; ERROR a Status). */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: { readonly metadata?: { readonly resourceVersion?: string }; readonly code?: number; readonly message?: string };
}

/** A running watch: `done` settles when the stream ends (resolves) or fails (rejects, with `status` for an HTTP error). */
export interface WatchHandle {
  readonly done: Promise<void>;
  abort(): void;
}

/** One collection (the opted-in namespaces, or the pods of one namespace), as list pages and a watch. */
export interface ListWatchSource {
  /** Fails with `status` 410 when a continue token has expired. */
  list(options: { readonly limit: number; readonly continue?: string }): Promise<ListPage>;
  /** A watch from `resourceVersion` with bookmarks, closed by the server after `timeoutSeconds`. */
  watch(resourceVersion: string, timeoutSeconds: number, onEvent: (event: WatchEvent) => void): WatchHandle;
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
