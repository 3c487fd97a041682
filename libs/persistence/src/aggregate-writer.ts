import type { Insertable, Selectable, Transaction } from 'kysely';
import type {
  ConfigEntriesTable,
  ConfigHistoryTable,
  DefaultPoliciesTable,
  PoliciesTable,
  ServicesTable,
  WardenDatabase,
} from './database.types.js';
import { columnList, unnestRows, type BulkColumn } from './bulk-rows.js';
import { commitsTransaction } from './transaction-edges.js';
import { prepared } from './prepared-statements.js';
import { stmt, type Statement } from './statement.js';
import type { PrunedHistory, RowChanges } from './aggregate-diff.js';
import { guardParts, type BatchGuard } from './optimistic-apply.js';

type Trx = Transaction<WardenDatabase>;

const json = (value: unknown) => JSON.stringify(value ?? null);

const POLICY_COLUMNS: BulkColumn<Selectable<PoliciesTable>>[] = [
  ['slug', 'text', (r) => r.slug],
  ['type', 'text', (r) => r.type],
  ['env', 'text', (r) => r.env],
  ['enabled', 'boolean', (r) => r.enabled],
  ['spec', 'jsonb', (r) => json(r.spec)],
  ['version', 'integer', (r) => r.version],
  ['created_at', 'timestamptz', (r) => r.created_at],
  ['updated_at', 'timestamptz', (r) => r.updated_at],
];

const CONFIG_COLUMNS: BulkColumn<Selectable<ConfigEntriesTable>>[] = [
  ['slug', 'text', (r) => r.slug],
  ['env', 'text', (r) => r.env],
  ['key', 'text', (r) => r.key],
  ['value', 'jsonb', (r) => json(r.value)],
  ['description', 'text', (r) => r.description],
  ['secret', 'boolean', (r) => r.secret],
  ['version', 'integer', (r) => r.version],
  ['created_at', 'timestamptz', (r) => r.created_at],
  ['updated_at', 'timestamptz', (r) => r.updated_at],
];

const HISTORY_COLUMNS: BulkColumn<Insertable<ConfigHistoryTable>>[] = [
  ['slug', 'text', (r) => r.slug],
  ['env', 'text', (r) => r.env],
  ['key', 'text', (r) => r.key],
  ['version', 'integer', (r) => r.version],
  ['value', 'jsonb', (r) => r.value],
  ['description', 'text', (r) => r.description],
  ['secret', 'boolean', (r) => r.secret ?? false],
  ['event_id', 'uuid', (r) => r.event_id],
  ['change', 'text', (r) => r.change],
  ['created_at', 'timestamptz', (r) => r.created_at],
];

const PRUNE_COLUMNS: BulkColumn<PrunedHistory>[] = [
  ['slug', 'text', (r) => r.slug],
  ['env', 'text', (r) => r.env],
  ['key', 'text', (r) => r.key],
  ['through', 'integer', (r) => r.through],
];

const REVISION_COLUMNS: BulkColumn<[string, number]>[] = [
  ['aggregate', 'text', ([aggregate]) => aggregate],
  ['revision', 'bigint', ([, revision]) => revision],
];

/** Statement parameters stay far below PostgreSQL's limit of 65,535 per statement. */
export function chunks<T>(rows: T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(30_000 / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Rows as PostgreSQL stored them (jsonb normalised), for the caches to hold the same. */
export interface StoredRows {
  services: Selectable<ServicesTable>[];
  defaults: Selectable<DefaultPoliciesTable>[];
  policies: Selectable<PoliciesTable>[];
  config: Selectable<ConfigEntriesTable>[];
}

/** `DELETE … WHERE (a, b, c) IN (…)` for keys of three text columns. */
function deleteByKeys(table: string, columns: [string, string, string], keys: string[][]) {
  return stmt`
    DELETE FROM ${stmt.id(table)} WHERE (${stmt.join(columns.map((c) => stmt.id(c)))}) IN (
      SELECT * FROM unnest(${keys.map((k) => k[0])}::text[], ${keys.map((k) => k[1])}::text[],
                           ${keys.map((k) => k[2])}::text[]))`;
}

/**
 * Writes a batch's net effect. What only a service's registration or deletion needs
 * runs first, on its own; everything else, with the caller's own `writes` (audit,
 * outcomes, outbox), goes in one statement of data-modifying CTEs: one round trip
 * however many tables a batch touches. The rows each part writes are disjoint, as one
 * statement requires. `commits`: that statement is the transaction's last and takes its
 * COMMIT along (one round trip fewer). `guard`: the batch was decided without locking,
 * and the statement claims its events and checks the revisions it decided on instead of
 * writing them (see `optimistic-apply`).
 */
export async function writeRowChanges(
  trx: Trx,
  changes: RowChanges,
  revisions: { touched: [string, number][]; untouched: string[] },
  writes: Statement[],
  commits = false,
  guard?: BatchGuard,
): Promise<StoredRows> {
  const stored: StoredRows = { services: [], defaults: [], policies: [], config: [] };
  if (changes.erasedHistory.length > 0) {
    await trx.deleteFrom('config_history').where('slug', 'in', changes.erasedHistory).execute();
  }
  if (changes.removedServices.length > 0) {
    await trx.deleteFrom('services').where('slug', 'in', changes.removedServices).execute();
  }
  for (const part of chunks(changes.services, 11)) {
    const written = await trx
      .insertInto('services')
      .values(part.map((r) => ({ ...r, links: json(r.links) })))
      .onConflict((oc) =>
        oc.column('slug').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          owner: eb.ref('excluded.owner'),
          tier: eb.ref('excluded.tier'),
          lifecycle: eb.ref('excluded.lifecycle'),
          tags: eb.ref('excluded.tags'),
          links: eb.ref('excluded.links'),
          description: eb.ref('excluded.description'),
          version: eb.ref('excluded.version'),
          created_at: eb.ref('excluded.created_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .returningAll()
      .execute();
    stored.services.push(...written);
  }
  for (const part of chunks(changes.defaults, 6)) {
    const written = await trx
      .insertInto('default_policies')
      .values(part.map((r) => ({ ...r, spec: json(r.spec) })))
      .onConflict((oc) =>
        oc.column('type').doUpdateSet((eb) => ({
          enabled: eb.ref('excluded.enabled'),
          spec: eb.ref('excluded.spec'),
          version: eb.ref('excluded.version'),
          created_at: eb.ref('excluded.created_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .returningAll()
      .execute();
    stored.defaults.push(...written);
  }

  const parts: Statement[] = [];
  // The upserted policies and entries come back as a read would answer them (jsonb
  // orders an object's keys its own way), so that a state kept for the next batch
  // equals the state that batch would load.
  const returned: Statement[] = [];
  const returning = (table: 'policies' | 'config', part: Statement) => {
    returned.push(
      stmt`(SELECT coalesce(json_agg(r), '[]') FROM ${stmt.raw(`w${parts.length}`)} AS r) AS ${stmt.raw(table)}`,
    );
    parts.push(stmt`${part} RETURNING *`);
  };
  if (changes.removedConfig.length > 0)
    parts.push(deleteByKeys('config_entries', ['slug', 'env', 'key'], changes.removedConfig));
  if (changes.removedPolicies.length > 0)
    parts.push(deleteByKeys('policies', ['slug', 'type', 'env'], changes.removedPolicies));
  if (changes.policies.length > 0) {
    returning(
      'policies',
      stmt`
      INSERT INTO policies ${columnList(POLICY_COLUMNS)} ${unnestRows(changes.policies, POLICY_COLUMNS)}
      ON CONFLICT (slug, type, env) DO UPDATE SET
        enabled = excluded.enabled, spec = excluded.spec, version = excluded.version,
        created_at = excluded.created_at, updated_at = excluded.updated_at`,
    );
  }
  if (changes.config.length > 0) {
    returning(
      'config',
      stmt`
      INSERT INTO config_entries ${columnList(CONFIG_COLUMNS)} ${unnestRows(changes.config, CONFIG_COLUMNS)}
      ON CONFLICT (slug, env, key) DO UPDATE SET
        value = excluded.value, description = excluded.description, secret = excluded.secret,
        version = excluded.version, created_at = excluded.created_at, updated_at = excluded.updated_at`,
    );
  }
  if (changes.history.length > 0) {
    parts.push(
      stmt`INSERT INTO config_history ${columnList(HISTORY_COLUMNS)} ${unnestRows(changes.history, HISTORY_COLUMNS)}`,
    );
  }
  if (changes.prunedHistory.length > 0) {
    // Only rows older than the batch: its own versions beyond the cap were never added.
    parts.push(stmt`
      DELETE FROM config_history AS h
      USING (${unnestRows(changes.prunedHistory, PRUNE_COLUMNS)}) AS v
      WHERE h.slug = v.slug AND h.env = v.env AND h.key = v.key AND h.version <= v.through`);
  }
  if (revisions.touched.length > 0 && !guard) {
    parts.push(stmt`
      UPDATE aggregates AS a SET revision = v.revision
      FROM (${unnestRows(revisions.touched, REVISION_COLUMNS)}) AS v
      WHERE a.aggregate = v.aggregate`);
  }
  // Locking created a row for every aggregate of the batch; one whose events were all
  // rejected never existed and must not appear to.
  if (revisions.untouched.length > 0 && !guard) {
    parts.push(
      stmt`DELETE FROM aggregates WHERE aggregate = ANY(${revisions.untouched}::text[]) AND revision = 0`,
    );
  }
  parts.push(...writes);
  const named: [string, Statement][] = parts.map((part, n) => [`w${n}`, part]);
  if (guard) {
    const { parts: checked, check } = guardParts(guard);
    named.push(...checked);
    // First: see `guardParts` for why the check runs before the other parts.
    returned.unshift(check);
  }
  if (named.length === 0) return stored;
  const {
    rows: [written],
  } = await stmt`
    ${commits ? commitsTransaction : stmt``} ${prepared} WITH ${stmt.join(named.map(([name, part]) => stmt`${stmt.raw(name)} AS (${part})`))}
    SELECT ${returned.length > 0 ? stmt.join(returned) : stmt`1`}
  `.execute<Partial<Pick<StoredRows, 'policies' | 'config'>>>(trx);
  stored.policies = written?.policies ?? [];
  stored.config = written?.config ?? [];
  return stored;
}
