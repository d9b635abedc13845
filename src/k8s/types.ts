// The few Kubernetes API calls the certificate manager makes, behind an interface so the logic
// can run against the real API (client.ts) or an in-memory fake with the same semantics.

/** A Secret as the certificate manager sees it: data decoded to UTF-8 strings. */
export interface StoredSecret {
  readonly resourceVersion: string;
  readonly data: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface SecretContent {
  readonly type: string;
  readonly data: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

/** A JSON-merge-patch style change: a key set to null is removed. */
export interface SecretChange {
  readonly data: Readonly<Record<string, string | null>>;
  readonly annotations: Readonly<Record<string, string | null>>;
}

export interface WebhookCaBundle {
  readonly name: string;
  /** Decoded PEM (the API stores it base64); undefined when unset or empty. */
  readonly caBundle: string | undefined;
  /** The base64 value exactly as stored, for the JSON patch `test` op. */
  readonly rawCaBundle: string | undefined;
}

export interface WebhookConfigView {
  readonly resourceVersion: string;
  readonly webhooks: readonly WebhookCaBundle[];
}

/** Set webhook `index` (expected to be named `name` and to hold `expectedRaw`) to `caBundle`. */
export interface CaBundleUpdate {
  readonly index: number;
  readonly name: string;
  /** The stored base64 value read before (undefined: unset or empty). */
  readonly expectedRaw: string | undefined;
  /** New PEM bundle. */
  readonly caBundle: string;
}

export interface CertKubeApi {
  /** undefined when the Secret does not exist. */
  getSecret(namespace: string, name: string): Promise<StoredSecret | undefined>;
  /** Throws KubeApiError with status 409 when it already exists. */
  createSecret(namespace: string, name: string, content: SecretContent): Promise<StoredSecret>;
  /** Merge patch guarded by resourceVersion: 409 when the Secret changed since it was read. */
  patchSecret(namespace: string, name: string, resourceVersion: string, change: SecretChange): Promise<StoredSecret>;
  /** undefined when the MutatingWebhookConfiguration does not exist. */
  getWebhookConfig(name: string): Promise<WebhookConfigView | undefined>;
  /**
   * JSON patch of only the given caBundle fields, with `test` ops on each webhook's name and old
   * caBundle: throws KubeApiError (409 or 422) when someone changed them in between.
   */
  setCaBundles(name: string, updates: readonly CaBundleUpdate[]): Promise<void>;
}
