/** Time source, passed in so tests can drive rotation and durations. */
export interface Clock {
  /** Wall-clock time. */
  now(): Date;
  /** Monotonic milliseconds, for durations. */
  monotonicMs(): number;
}

export const systemClock: Clock = Object.freeze({
  now: (): Date => new Date(),
  monotonicMs: (): number => performance.now(),
});
