/**
 * The starts of a repeated piece of work (a request to the broker, a relay pass) kept at
 * least `ms` apart. On a monotonic clock, and never a wait longer than `ms`: a wall clock
 * set back must not hold the work up.
 */
export class Spacing {
  private lastStartedAt = -Infinity;

  constructor(readonly ms: number) {}

  /** How long the next start has to wait; zero or less: it may start now. */
  wait(): number {
    return Math.min(this.ms, this.lastStartedAt + this.ms - performance.now());
  }

  started(): void {
    this.lastStartedAt = performance.now();
  }
}
