import {
  accepted,
  refused,
  replaced,
  serviceMissing,
  timeOf,
  type ConfigRecord,
  type Decision,
  type EventOf,
  type HistoryChange,
} from './decision.js';
import type {
  ConfigEntryResource,
  ConfigLineage,
  ConfigVersion,
  ServiceAggregate,
} from './governance-state.js';
import { Rejection, versionConflict } from './rejection.js';
import {
  DEFAULT_LIMITS,
  entryCapRejection,
  prunedThrough,
  prunedVersionRejection,
  type GovernanceLimits,
} from './governance-limits.js';

/** The configuration entry (or its history) of `env` and `key`, as a predicate. */
export const sameEntry =
  (env: string, key: string) =>
  (item: { env: string; key: string }): boolean =>
    item.env === env && item.key === key;

/**
 * Writes a new version of an entry: the value sent (`config.set`) or the value of an
 * earlier version (`config.rolled-back`, which must name a version the history holds).
 * A new entry must fit the environment's cap; the history keeps the newest versions up
 * to its cap, and the older ones go with the write.
 */
export function setConfig(
  state: ServiceAggregate,
  event: EventOf<'config.set'> | EventOf<'config.rolled-back'>,
  limits: GovernanceLimits = DEFAULT_LIMITS,
): Decision<ServiceAggregate> {
  const d = event.data;
  if (!state.service) return serviceMissing(d.slug);
  const matches = sameEntry(d.env, d.key);
  const current = state.config.find(matches);
  const what = `config ${d.key} (${d.env}) of ${d.slug}`;
  const conflict = versionConflict(what, event.expectedVersion, current?.version ?? 0);
  if (conflict) return refused(conflict);
  if (!current) {
    const full = entryCapRejection(state.config, d, limits);
    if (full) return refused(full);
  }
  const lineage = state.history.find(matches);
  let source: Omit<ConfigVersion, 'version'>;
  if (event.type === 'config.rolled-back') {
    const target = lineage?.versions.find((v) => v.version === event.data.toVersion);
    if (!target) {
      const pruned =
        lineage && prunedVersionRejection(what, event.data.toVersion, lineage.lastVersion, limits);
      return refused(
        pruned ??
          new Rejection('rule', `${what} has no version ${event.data.toVersion} to roll back to`),
      );
    }
    source = target;
  } else {
    const sent = sentVersion(event.data, current, what);
    if (sent instanceof Rejection) return refused(sent);
    source = sent;
  }
  // Versions continue after a delete so that history never reuses a number.
  const version = (lineage?.lastVersion ?? 0) + 1;
  const at = timeOf(event);
  const written: ConfigVersion = { version, value: source.value };
  if (source.description != null) written.description = source.description;
  if (source.secret) written.secret = true;
  const entry: ConfigEntryResource = {
    slug: d.slug,
    env: d.env,
    key: d.key,
    value: written.value,
    version,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
  };
  if (written.description !== undefined) entry.description = written.description;
  if (written.secret) entry.secret = true;
  const through = prunedThrough(version, limits);
  const nextLineage: ConfigLineage = {
    env: d.env,
    key: d.key,
    lastVersion: version,
    versions: [...(lineage?.versions ?? []), written].filter((v) => v.version > through),
  };
  const record: ConfigRecord = {
    env: d.env,
    key: d.key,
    ...written,
    eventId: event.id,
    change: event.type === 'config.rolled-back' ? `rolled-back to ${event.data.toVersion}` : 'set',
    recordedAt: at,
  };
  return accepted(
    {
      ...state,
      config: replaced(state.config, matches, entry),
      history: replaced(state.history, matches, nextLineage),
    },
    { ...(current ? { before: current } : {}), after: entry, version },
    recordedChange(record, through),
  );
}

/**
 * The version a `config.set` writes. A secret is stored only encrypted (the API encrypts
 * before publishing, the worker what another producer sent in the clear), and a secret
 * entry does not become readable by a write that merely forgot to say `secret`.
 */
function sentVersion(
  data: EventOf<'config.set'>['data'],
  current: ConfigEntryResource | undefined,
  what: string,
): Omit<ConfigVersion, 'version'> | Rejection {
  if (current?.secret && data.secret === undefined) {
    return new Rejection(
      'rule',
      `${what} is secret: send "secret": true to keep it secret, or "secret": false to make it readable`,
    );
  }
  const description = data.description != null ? { description: data.description } : {};
  if (data.secret !== true) return { value: data.value, ...description };
  if (data.encryptedValue === undefined) {
    return new Rejection('rule', `${what}: a secret value must be encrypted before it is stored`);
  }
  return { value: data.encryptedValue, secret: true, ...description };
}

function recordedChange(record: ConfigRecord, through: number): HistoryChange {
  return through > 0
    ? { kind: 'recorded', record, prunedThrough: through }
    : { kind: 'recorded', record };
}

/** Removes an entry; its history stays, and its next version continues the numbering. */
export function deleteConfig(
  state: ServiceAggregate,
  event: EventOf<'config.deleted'>,
): Decision<ServiceAggregate> {
  const d = event.data;
  if (!state.service) return serviceMissing(d.slug);
  const current = state.config.find(sameEntry(d.env, d.key));
  const what = `config ${d.key} (${d.env}) of ${d.slug}`;
  if (!current) return refused(new Rejection('not-found', `${what} does not exist`));
  const conflict = versionConflict(what, event.expectedVersion, current.version);
  if (conflict) return refused(conflict);
  return accepted(
    { ...state, config: state.config.filter((c) => c !== current) },
    { before: current },
  );
}
