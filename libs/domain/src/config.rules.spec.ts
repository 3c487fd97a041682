import { deleteConfig, setConfig } from './config.rules.js';
import { emptyServiceAggregate, type ServiceAggregate } from './governance-state.js';
import {
  EARLIER,
  NOW,
  aLineage,
  aServiceAggregate,
  acceptedOf,
  anEntry,
  anEvent,
  refusalOf,
} from './governance.test-helpers.js';

const key = { slug: 'checkout', env: 'prod', key: 'timeout' };
const setting = (value: unknown, extra = {}, description?: string) =>
  anEvent('config.set', { ...key, value, ...(description ? { description } : {}) }, extra);
const rollback = (toVersion: number, extra = {}) =>
  anEvent('config.rolled-back', { ...key, toVersion }, extra);
/** `checkout` with prod/timeout at version 2 (value 100) and its history of two versions. */
const withEntry = () => aServiceAggregate({ config: [anEntry()], history: [aLineage()] });

describe(setConfig.name, () => {
  it('creates an entry at version 1 and records it in the history', () => {
    const event = setting({ ms: 5, nested: { b: 1 } }, {}, 'upstream');
    const decision = acceptedOf(setConfig(aServiceAggregate(), event));
    const entry = anEntry({
      value: { ms: 5, nested: { b: 1 } },
      description: 'upstream',
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
    });
    expect(decision.state.config).toStrictEqual([entry]);
    expect(decision.change).toStrictEqual({ after: entry, version: 1 });
    expect(decision.history).toStrictEqual({
      kind: 'recorded',
      record: {
        env: 'prod',
        key: 'timeout',
        version: 1,
        value: { ms: 5, nested: { b: 1 } },
        description: 'upstream',
        eventId: event.id,
        change: 'set',
        recordedAt: NOW,
      },
    });
  });

  it('writes the next version, created when the entry was', () => {
    const decision = acceptedOf(setConfig(withEntry(), setting(300, { expectedVersion: 2 })));
    expect(decision.change).toStrictEqual({
      before: anEntry(),
      after: anEntry({ value: 300, version: 3, createdAt: EARLIER, updatedAt: NOW }),
      version: 3,
    });
    expect(decision.state.history[0]).toMatchObject({ lastVersion: 3 });
  });

  it('continues the numbering of an entry that was deleted', () => {
    const state = aServiceAggregate({ history: [aLineage({ lastVersion: 7 })] });
    const decision = acceptedOf(setConfig(state, setting(1)));
    expect(decision.change.version).toBe(8);
    expect(decision.change.before).toBeUndefined();
  });

  it.each<[string, ServiceAggregate, object, object]>([
    [
      'a service that does not exist',
      emptyServiceAggregate('checkout'),
      {},
      { code: 'not-found', reason: 'service checkout does not exist' },
    ],
    [
      'a stale expectation',
      withEntry(),
      { expectedVersion: 1 },
      {
        code: 'conflict',
        reason: 'config timeout (prod) of checkout is at version 2, the write expected version 1',
      },
    ],
  ])('refuses %s', (_, state, extra, refusal) => {
    expect(refusalOf(setConfig(state, setting(1, extra)))).toStrictEqual(refusal);
  });
});

describe(`${setConfig.name} for a rollback`, () => {
  it('writes the value and description of the version it names as a new version', () => {
    const event = rollback(1);
    const decision = acceptedOf(setConfig(withEntry(), event));
    expect(decision.change.after).toStrictEqual(
      anEntry({ value: 50, description: 'first', version: 3, updatedAt: NOW }),
    );
    expect(decision.history).toMatchObject({
      record: { version: 3, value: 50, change: 'rolled-back to 1', eventId: event.id },
    });
  });

  it('can return to a version that an earlier event of the same run wrote', () => {
    const first = acceptedOf(setConfig(withEntry(), setting('three')));
    const decision = acceptedOf(setConfig(first.state, rollback(3)));
    expect(decision.change.after).toMatchObject({ value: 'three', version: 4 });
  });

  it.each<[string, ServiceAggregate, number, object, object]>([
    [
      'a version the history does not hold',
      withEntry(),
      9,
      {},
      {
        code: 'rule',
        reason: 'config timeout (prod) of checkout has no version 9 to roll back to',
      },
    ],
    [
      'an entry with no history',
      aServiceAggregate(),
      1,
      {},
      {
        code: 'rule',
        reason: 'config timeout (prod) of checkout has no version 1 to roll back to',
      },
    ],
    [
      'a stale expectation before looking at the history',
      withEntry(),
      9,
      { expectedVersion: 3 },
      {
        code: 'conflict',
        reason: 'config timeout (prod) of checkout is at version 2, the write expected version 3',
      },
    ],
    [
      'a service that does not exist',
      emptyServiceAggregate('checkout'),
      1,
      {},
      { code: 'not-found', reason: 'service checkout does not exist' },
    ],
  ])('refuses %s', (_, state, toVersion, extra, refusal) => {
    expect(refusalOf(setConfig(state, rollback(toVersion, extra)))).toStrictEqual(refusal);
  });
});

describe(deleteConfig.name, () => {
  const deletion = (extra = {}) => anEvent('config.deleted', key, extra);

  it('removes the entry and keeps its history', () => {
    const decision = acceptedOf(deleteConfig(withEntry(), deletion({ expectedVersion: 2 })));
    expect(decision.state.config).toStrictEqual([]);
    expect(decision.state.history).toStrictEqual([aLineage()]);
    expect(decision.change).toStrictEqual({ before: anEntry() });
    expect(decision.history).toBeUndefined();
  });

  it.each<[string, ServiceAggregate, object, object]>([
    [
      'a service that does not exist',
      emptyServiceAggregate('checkout'),
      {},
      { code: 'not-found', reason: 'service checkout does not exist' },
    ],
    [
      'an entry that is not there',
      aServiceAggregate({ history: [aLineage()] }),
      {},
      { code: 'not-found', reason: 'config timeout (prod) of checkout does not exist' },
    ],
    [
      'a stale expectation',
      withEntry(),
      { expectedVersion: 1 },
      {
        code: 'conflict',
        reason: 'config timeout (prod) of checkout is at version 2, the write expected version 1',
      },
    ],
  ])('refuses %s', (_, state, extra, refusal) => {
    expect(refusalOf(deleteConfig(state, deletion(extra)))).toStrictEqual(refusal);
  });
});

describe('secret entries', () => {
  const encrypted = {
    alg: 'A256GCM' as const,
    iv: 'AAAAAAAAAAAAAAAA',
    tag: 'AAAAAAAAAAAAAAAAAAAAAA==',
    ciphertext: 'AQID',
  };
  const secretSet = (extra = {}) =>
    anEvent('config.set', { ...key, secret: true, encryptedValue: encrypted } as never, extra);

  it('stores the encrypted value, flagged secret, in the entry and in its history', () => {
    const decision = acceptedOf(setConfig(aServiceAggregate(), secretSet()));
    expect(decision.state.config[0]).toMatchObject({ value: encrypted, secret: true, version: 1 });
    expect(decision.history).toMatchObject({ record: { value: encrypted, secret: true } });
  });

  it('refuses a secret whose value was not encrypted', () => {
    const event = anEvent('config.set', { ...key, value: 'hunter2', secret: true });
    expect(refusalOf(setConfig(aServiceAggregate(), event))).toMatchObject({
      code: 'rule',
      reason: expect.stringContaining('must be encrypted'),
    });
  });

  it('refuses a write that omits secret on a secret entry, and makes it readable with secret: false', () => {
    const secret = acceptedOf(setConfig(aServiceAggregate(), secretSet())).state;
    expect(refusalOf(setConfig(secret, setting('visible')))).toMatchObject({
      code: 'rule',
      reason: expect.stringContaining('is secret'),
    });
    const readable = acceptedOf(
      setConfig(secret, anEvent('config.set', { ...key, value: 'visible', secret: false })),
    );
    expect(readable.state.config[0]).toMatchObject({ value: 'visible', version: 2 });
    expect(readable.state.config[0]).not.toHaveProperty('secret');
  });

  it('rolls back to a secret version as a secret', () => {
    const state = aServiceAggregate({
      config: [anEntry({ version: 2 })],
      history: [
        {
          env: 'prod',
          key: 'timeout',
          lastVersion: 2,
          versions: [{ version: 1, value: encrypted, secret: true }],
        },
      ],
    });
    const decision = acceptedOf(setConfig(state, rollback(1)));
    expect(decision.state.config[0]).toMatchObject({ value: encrypted, secret: true, version: 3 });
  });
});
