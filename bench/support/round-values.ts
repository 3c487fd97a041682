import { randomBytes } from 'node:crypto';

/**
 * The values a bench round writes to configuration entries. Each names its round, since
 * rounds write the same entries and a value an earlier round left must never be taken for
 * this round's write seen. Writes to one entry are `period` writes apart, and one
 * service's writes are applied in order (one aggregate, one partition).
 */
export class RoundValues {
  private readonly tag: string;

  constructor(
    label: string,
    private readonly period: number,
  ) {
    this.tag = `${label}-${randomBytes(3).toString('hex')}`;
  }

  /** The value of the round's write number `i`. */
  of(i: number): string {
    return `${this.tag}:${i}`;
  }

  /** Whether an entry holding `held` shows write `i` applied: its value, or a later one of this round's. */
  shows(held: unknown, i: number): boolean {
    if (typeof held !== 'string') return false;
    const [tag, written] = held.split(':');
    const index = Number(written);
    return tag === this.tag && index >= i && (index - i) % this.period === 0;
  }
}
