// The one test clock: wall time and monotonic time the test moves by hand (src/clock.ts is the interface).
import type { Clock } from '../../src/clock.js';

export interface TestClockOptions {
  /** Wall time at the start (default: now). */
  readonly at?: Date;
  /** Monotonic milliseconds at the start (default 0). */
  readonly monotonicMs?: number;
  /** Monotonic time moves this much on every read (every measured duration is then known and non-zero). */
  readonly stepMs?: number;
  /** Monotonic time from performance.now() instead (for code that also waits on real timers). */
  readonly realMonotonic?: boolean;
}

export class TestClock implements Clock {
  private wall: number;
  private mono: number;
  private readonly stepMs: number;
  private readonly realMonotonic: boolean;

  constructor(options: TestClockOptions = {}) {
    this.wall = (options.at ?? new Date()).getTime();
    this.mono = options.monotonicMs ?? 0;
    this.stepMs = options.stepMs ?? 0;
    this.realMonotonic = options.realMonotonic ?? false;
  }

  now(): Date {
    return new Date(this.wall);
  }

  monotonicMs(): number {
    if (this.realMonotonic) return performance.now();
    this.mono += this.stepMs;
    return this.mono;
  }

  /** Sets the wall time (monotonic time never goes back, so it stays). */
  set(date: Date): void {
    this.wall = date.getTime();
  }

  /** Moves wall and monotonic time forward together. */
  advanceMs(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }

  advanceSeconds(seconds: number): void {
    this.advanceMs(seconds * 1000);
  }

  advanceDays(days: number): void {
    this.advanceMs(days * 86_400_000);
  }
}
