import { setConfig } from './config.rules.js';
import { decideAll } from './governance.rules.js';
import { prunedThrough, type GovernanceLimits } from './governance-limits.js';
import {
  aLineage,
  aServiceAggregate,
  acceptedOf,
  anEntry,
  anEvent,
  refusalOf,
} from './governance.test-helpers.js';
import { serviceAggregate } from './event.model.js';

const limits = (overrides: Partial<GovernanceLimits> = {}): GovernanceLimits => ({
  maxEntriesPerEnv: 2,
  maxVersionsPerKey: 3,
  ...overrides,
});
const set = (key: string, value: unknown, env = 'prod') =>
  anEvent('config.set', { slug: 'checkout', env, key, value });
const rollback = (toVersion: number) =>
  anEvent('config.rolled-back', { slug: 'checkout', env: 'prod', key: 'timeout', toVersion });
/** `checkout` with two entries in prod (timeout, retries) and one in staging. */
const full = () =>
  aServiceAggregate({
    config: [anEntry(), anEntry({ key: 'retries' }), anEntry({ env: 'staging' })],
    history: [aLineage()],
  });

describe('the entries cap of an environment', () => {
  it('refuses a new entry in a full environment with a rule rejection that names the cap', () => {
    expect(refusalOf(setConfig(full(), set('pool', 8), limits()))).toStrictEqual({
      code: 'rule',
      reason:
        'checkout already has 2 configuration entries in prod, the most allowed (2, WARDEN_MAX_ENTRIES_PER_ENV); delete one or use fewer keys',
    });
  });

  it('still takes a new version of an entry that exists, and new entries in another environment', () => {
    expect(setConfig(full(), set('timeout', 5), limits()).ok).toBe(true);
    expect(setConfig(full(), set('pool', 8, 'dev'), limits()).ok).toBe(true);
  });

  it('keeps taking writes to existing entries when the cap was lowered below what is there', () => {
    const lowered = limits({ maxEntriesPerEnv: 1 });
    expect(setConfig(full(), set('retries', 2), lowered).ok).toBe(true);
    expect(refusalOf(setConfig(full(), set('pool', 8), lowered))?.code).toBe('rule');
  });

  it('counts the entries the same sequence created before, all or none', () => {
    const states = new Map([[serviceAggregate('checkout'), aServiceAggregate()]]);
    const decided = decideAll(states, [set('a', 1), set('b', 2), set('c', 3)], limits());
    expect(decided).toMatchObject({ ok: false, index: 2, rejection: { code: 'rule' } });
  });

  it('uses the default cap of 1000 when none is given', () => {
    expect(setConfig(full(), set('pool', 8)).ok).toBe(true);
  });
});

describe('the versions kept of an entry', () => {
  it('prunes the oldest versions once the history holds more than the cap', () => {
    // timeout is at version 2; the cap keeps 3: version 3 prunes nothing, 4 prunes version 1.
    const third = acceptedOf(setConfig(full(), set('timeout', 300), limits()));
    expect(third.history).toStrictEqual({ kind: 'recorded', record: expect.any(Object) });
    const fourth = acceptedOf(setConfig(third.state, set('timeout', 400), limits()));
    expect(fourth.history).toMatchObject({ kind: 'recorded', prunedThrough: 1 });
    expect(fourth.state.history[0].versions.map((v) => v.version)).toStrictEqual([2, 3, 4]);
  });

  it('refuses a rollback to a pruned version, saying the history no longer keeps it', () => {
    const state = aServiceAggregate({
      config: [anEntry({ version: 9 })],
      history: [aLineage({ lastVersion: 9, versions: [] })],
    });
    expect(refusalOf(setConfig(state, rollback(6), limits()))).toStrictEqual({
      code: 'rule',
      reason:
        'config timeout (prod) of checkout no longer keeps version 6: its history holds the last 3 versions (WARDEN_MAX_VERSIONS_PER_KEY)',
    });
    expect(refusalOf(setConfig(state, rollback(7), limits()))?.reason).toMatch(
      /has no version 7 to roll back to/,
    );
  });

  it.each([
    [1, 3, 0],
    [3, 3, 0],
    [4, 3, 1],
    [250, 100, 150],
    [2, 1, 1],
  ])('after version %i with a cap of %i drops every version up to %i', (version, cap, through) => {
    expect(prunedThrough(version, limits({ maxVersionsPerKey: cap }))).toBe(through);
  });
});
