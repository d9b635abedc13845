// `files` mode: PEM files on disk (cert-manager or a user Secret mounted as a volume), reloaded
// in place. A Secret volume is updated by an atomic `..data` symlink swap in the mount directory,
// so the directory is watched (not the files) and also re-read every check interval.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { CertificateError } from './errors.js';
import { describe, validatePair } from './pem.js';
import type { CertificateSource, TlsMaterial } from './types.js';
import { notifyListeners } from './listeners.js';

export interface FilesOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly checkIntervalSeconds: number;
  /** Delay between a directory event and the re-read, so both files of an update land first. */
  readonly debounceMs?: number;
  /** Watch the directories for changes (default true); polling always runs. */
  readonly watch?: boolean;
  /** Attempts (250 ms apart) to find a valid pair at startup before giving up. */
  readonly startAttempts?: number;
}

type Listener = (material: TlsMaterial) => void;

export class FilesSource implements CertificateSource {
  private material: TlsMaterial | undefined;
  private notAfter: Date | undefined;
  private lastRejected: string | undefined;
  private readonly listeners: Listener[] = [];
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: { logger: Logger; clock: Clock },
    private readonly options: FilesOptions,
  ) {}

  async start(): Promise<TlsMaterial> {
    const attempts = this.options.startAttempts ?? 3;
    for (let attempt = 1; this.material === undefined && attempt <= attempts; attempt++) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 250));
      await this.checkNow();
    }
    if (this.material === undefined) {
      throw new CertificateError(`no valid certificate/key pair in ${this.options.certFile} and ${this.options.keyFile}`);
    }
    if (this.options.watch !== false) this.watchDirectories();
    this.timer = setInterval(() => this.schedule(0), this.options.checkIntervalSeconds * 1000);
    this.timer.unref();
    return this.material;
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  isReady(): boolean {
    return this.material !== undefined;
  }

  expiry(): Date | undefined {
    return this.notAfter;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    for (const watcher of this.watchers.splice(0)) watcher.close();
    await this.queue;
  }

  /** Re-reads the files now; resolves true when new material was loaded (and listeners called). */
  checkNow(): Promise<boolean> {
    const run = this.queue.then(() => this.reload());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      if (!this.stopped) void this.checkNow();
    }, delayMs);
    this.debounce.unref();
  }

  private watchDirectories(): void {
    const dirs = new Set([dirname(this.options.certFile), dirname(this.options.keyFile)]);
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.schedule(this.options.debounceMs ?? 100));
        watcher.on('error', (error) => {
          this.deps.logger.warn({ dir, err: error.message }, 'certificate directory watch failed; polling only');
        });
        this.watchers.push(watcher);
      } catch (error) {
        this.deps.logger.warn({ dir, err: (error as Error).message }, 'cannot watch certificate directory; polling only');
      }
    }
  }

  private async read(): Promise<TlsMaterial | undefined> {
    try {
      const [cert, key] = await Promise.all([readFile(this.options.certFile, 'utf8'), readFile(this.options.keyFile, 'utf8')]);
      return { cert, key };
    } catch (error) {
      this.warnOnce(`read:${(error as NodeJS.ErrnoException).code ?? ''}`, {
        err: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
      });
      return undefined;
    }
  }

  private async reload(): Promise<boolean> {
    if (this.stopped) return false;
    const next = await this.read();
    if (next === undefined) return false;
    if (this.material !== undefined && next.cert === this.material.cert && next.key === this.material.key) return false;
    let leaf;
    try {
      leaf = validatePair(next.cert, next.key);
    } catch (error) {
      this.warnOnce(`pair:${next.cert}`, { err: (error as Error).message });
      return false;
    }
    this.lastRejected = undefined;
    const first = this.material === undefined;
    this.material = next;
    this.notAfter = new Date(leaf.validTo);
    this.deps.logger.info({ cert: describe(leaf), file: this.options.certFile }, first ? 'loaded certificate' : 'reloaded certificate');
    if (!first) this.emit(next);
    return true;
  }

  private emit(material: TlsMaterial): void {
    notifyListeners(this.listeners, material, this.deps.logger);
  }

  /** Warns once per distinct problem so a bad pair does not log every poll. */
  private warnOnce(problem: string, fields: Record<string, unknown>): void {
    if (this.lastRejected === problem) return;
    this.lastRejected = problem;
    this.deps.logger.warn(
      { ...fields, certFile: this.options.certFile, keyFile: this.options.keyFile, keeping: this.material !== undefined },
      'ignoring unusable certificate files; keeping the current certificate',
    );
  }
}
