/** PEM-encoded serving certificate chain and private key. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/**
 * Where the HTTPS server's certificate comes from. `src/main.ts` asks for the first material
 * before listening, then calls `server.setSecureContext` on every change: no restart.
 */
export interface CertificateSource {
  /** Resolves with the material to serve first (may issue, read files or a Secret). */
  start(): Promise<TlsMaterial>;
  /** Registers the listener called with new material when it changes (rotation, file update). */
  onChange(listener: (material: TlsMaterial) => void): void;
  /** True once the served certificate is trusted by what callers use (e.g. the caBundle). */
  isReady(): boolean;
  /** notAfter of the certificate being served, for the expiry gauge. */
  expiry(): Date | undefined;
  /** Stops timers and watches. */
  stop(): Promise<void>;
}
