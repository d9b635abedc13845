// The webhook's copy of the controller's delivery support snapshot: the ConfigMap the chart mounts (optional,
// so the file may be missing), read at start and polled for changes (the kubelet swaps a ConfigMap volume's
// files atomically). Parsed once per change and swapped whole; the pure injection only gets the result.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { parseSnapshot, type DeliverySnapshot } from '../k8s/contract/delivery.js';

export class SupportFile {
  /** The file's text as last read; null: not read yet (so a missing file is logged once at start). */
  private text: string | undefined | null = null;
  private snapshot: DeliverySnapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  /** The latest valid snapshot; undefined while the file is missing or not a snapshot. */
  current(): DeliverySnapshot | undefined {
    return this.snapshot;
  }

  /** Reads the file now (never throws: a read error counts as no snapshot). */
  async refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async read(): Promise<void> {
    let text: string | undefined;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      text = undefined;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ path: this.path, err: (error as Error).message }, 'delivery support file unreadable');
    }
    if (text === this.text) return;
    this.text = text;
    this.snapshot = text === undefined ? undefined : parseSnapshot(text);
    if (text === undefined) this.logger.info({ path: this.path }, 'delivery support file missing: auto uses the init container, image-volume does as configured');
    else if (this.snapshot === undefined) this.logger.warn({ path: this.path }, 'delivery support file is not a snapshot this release reads: ignored');
    else {
      const { observedAt, imageVolumeField, nodes } = this.snapshot;
      const supported = nodes.filter((n) => n.supported).length;
      this.logger.info({ observedAt, imageVolumeField, nodes: nodes.length, supported }, 'delivery support snapshot loaded');
    }
  }
}
