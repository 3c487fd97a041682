import { sql, type Insertable, type RawBuilder, type Selectable, type Transaction } from 'kysely';
import type {
  ConfigEntriesTable,
  ConfigHistoryTable,
  DefaultPoliciesTable,
  PoliciesTable,
  ServicesTable,
  WardenDatabase,
} from './database.types.js';
import {
  toConfigResource,
  toDefaultPolicyResource,
  toPolicyResource,
  toServiceResource,
} from './row-mappers.js';
import { defaultsRevisionAggregate } from './revisions.js';
import { columnList, unnestRows, type BulkColumn } from './bulk-rows.js';
import type { DomainEvent } from '#domain/event-validation';
import type { ServiceResource } from '#domain/service.model';
import type { DefaultsSnapshot, ServiceSnapshot } from '#domain/effective-view';
import { Rejection, assertExpectedVersion } from '#domain/rejection';
import { applyMergePatch } from '#domain/merge-patch';

type Trx = Transaction<WardenDatabase>;
type ServiceRow = Selectable<ServicesTable>;
type PolicyRow = Selectable<PoliciesTable>;
type DefaultPolicyRow = Selectable<DefaultPoliciesTable>;
type ConfigRow = Selectable<ConfigEntriesTable>;
type HistoryRow = Selectable<ConfigHistoryTable>;

/** What one event did to the state: the resource before and after, and its version. */
export interface StateChange {
  before: unknown;
  after: unknown;
  version?: number;
  /** The aggregate's revision after the change. */
  revision: number;
}

/** The state of one aggregate after a batch, as the caches hold it. */
export type AggregateDocument =
  | {
      kind: 'service';
      aggregate: string;
      slug: string;
      revision: number;
      service?: ServiceResource;
      snapshot?: ServiceSnapshot;
    }
  | { kind: 'defaults'; aggregate: string; revision: number; defaults: DefaultsSnapshot };

const json = (value: unknown) => JSON.stringify(value ?? null);

const POLICY_COLUMNS: BulkColumn<PolicyRow>[] = [
  ['slug', 'text', (r) => r.slug],
  ['type', 'text', (r) => r.type],
  ['env', 'text', (r) => r.env],
  ['enabled', 'boolean', (r) => r.enabled],
  ['spec', 'jsonb', (r) => json(r.spec)],
  ['version', 'integer', (r) => r.version],
  ['created_at', 'timestamptz', (r) => r.created_at],
  ['updated_at', 'timestamptz', (r) => r.updated_at],
];

const CONFIG_COLUMNS: BulkColumn<ConfigRow>[] = [
  ['slug', 'text', (r) => r.slug],
  ['env', 'text', (r) => r.env],
  ['key', 'text', (r) => r.key],
  ['value', 'jsonb', (r) => json(r.value)],
  ['description', 'text', (r) => r.description],
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
  ['event_id', 'uuid', (r) => r.event_id],
  ['change', 'text', (r) => r.change],
  ['created_at', 'timestamptz', (r) => r.created_at],
];

const REVISION_COLUMNS: BulkColumn<[string, number]>[] = [
  ['aggregate', 'text', ([aggregate]) => aggregate],
  ['revision', 'bigint', ([, revision]) => revision],
];
const SEP = '\u0000';
const keyOf = (...parts: (string | number)[]) => parts.join(SEP);

/**
 * Rows of one table as a batch sees them: loaded once, changed in memory, written back
 * once. `null` marks a row that is absent (deleted, or never there).
 */
class TrackedRows<R> {
  private readonly rows = new Map<string, R | null>();
  private readonly persisted = new Set<string>();
  private readonly dirty = new Set<string>();

  load(key: string, row: R): void {
    this.rows.set(key, row);
    this.persisted.add(key);
  }

  get(key: string): R | undefined {
    return this.rows.get(key) ?? undefined;
  }

  set(key: string, row: R | null): void {
    this.rows.set(key, row);
    this.dirty.add(key);
  }

  /** Replaces a row with PostgreSQL's own rendering of it (jsonb normalised). */
  refresh(key: string, row: R): void {
    this.rows.set(key, row);
  }

  *present(): IterableIterator<[string, R]> {
    for (const [key, row] of this.rows) if (row !== null) yield [key, row];
  }

  /** Rows that exist now and changed in this batch. */
  upserts(): [string, R][] {
    return [...this.dirty].flatMap((key) => {
      const row = this.rows.get(key);
      return row ? [[key, row] as [string, R]] : [];
    });
  }

  /** Keys of rows that PostgreSQL holds and this batch removed. */
  deletions(): string[] {
    return [...this.dirty].filter((key) => this.persisted.has(key) && !this.rows.get(key));
  }
}

/** Rows read as JSON carry their timestamps as text; the rest of the code holds Dates. */
function dated<R extends { created_at: Date | string; updated_at: Date | string }>(row: R): R {
  return { ...row, created_at: new Date(row.created_at), updated_at: new Date(row.updated_at) };
}

/** Statement parameters stay far below PostgreSQL's limit of 65,535 per statement. */
export function chunks<T>(rows: T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(30_000 / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

function slugOf(event: DomainEvent): string | undefined {
  return event.type === 'default-policy.set' ? undefined : event.data.slug;
}

/**
 * Everything a batch of events reads and writes, loaded with a handful of set-based
 * queries, changed in memory event by event with the same rules a single event follows,
 * and written back with one statement per table. Every check of an event runs before
 * it changes anything, so a rejected event leaves no trace and needs no savepoint.
 */
export class ProjectionWorkingSet {
  private readonly revisions = new Map<string, number>();
  private readonly touchedRevisions = new Set<string>();
  private readonly services = new TrackedRows<ServiceRow>();
  private readonly policies = new TrackedRows<PolicyRow>();
  private readonly defaults = new TrackedRows<DefaultPolicyRow>();
  private readonly config = new TrackedRows<ConfigRow>();
  /** Highest history version per (slug, env, key); deleted entries keep theirs. */
  private readonly historyMax = new Map<string, number>();
  /** History rows that a rollback may return to, by (slug, env, key, version). */
  private readonly historyRows = new Map<string, Pick<HistoryRow, 'value' | 'description'>>();
  private readonly newHistory: Insertable<ConfigHistoryTable>[] = [];
  private readonly clearedHistory = new Set<string>();
  private readonly changedSlugs = new Set<string>();
  private defaultsChanged = false;

  private constructor() {}

  /**
   * Loads what `events` can touch in one round trip. `revisions` are the aggregates'
   * revisions, read when their rows were locked (see `lockAggregates`), so nobody else
   * changes them until this transaction ends.
   */
  static async load(
    trx: Trx,
    events: DomainEvent[],
    revisions: Map<string, number>,
  ): Promise<ProjectionWorkingSet> {
    const set = new ProjectionWorkingSet();
    for (const [aggregate, revision] of revisions) set.revisions.set(aggregate, revision);
    if (events.length === 0) return set;
    const slugs = [...new Set(events.map(slugOf).filter((s): s is string => s !== undefined))];
    const configSlugs = [
      ...new Set(events.filter((e) => e.type.startsWith('config.')).map(slugOf) as string[]),
    ];
    const rollbacks = events.filter((e) => e.type === 'config.rolled-back');
    const hasDefaults = events.some((e) => e.type === 'default-policy.set');
    const rows = (query: RawBuilder<unknown>) =>
      sql`(SELECT coalesce(json_agg(r), '[]') FROM (${query}) AS r)`;
    const {
      rows: [loaded],
    } = await sql<{
      services: ServiceRow[];
      policies: PolicyRow[];
      config: ConfigRow[];
      maxima: { slug: string; env: string; key: string; max: number }[];
      targets: Pick<HistoryRow, 'slug' | 'env' | 'key' | 'version' | 'value' | 'description'>[];
      defaults: DefaultPolicyRow[];
    }>`
      SELECT
        ${rows(sql`SELECT * FROM services WHERE slug = ANY(${slugs}::text[])`)} AS services,
        ${rows(sql`SELECT * FROM policies WHERE slug = ANY(${slugs}::text[])`)} AS policies,
        ${rows(sql`SELECT * FROM config_entries WHERE slug = ANY(${slugs}::text[])`)} AS config,
        ${rows(sql`SELECT slug, env, key, max(version) AS max FROM config_history
                   WHERE slug = ANY(${configSlugs}::text[]) GROUP BY slug, env, key`)} AS maxima,
        ${rows(sql`SELECT slug, env, key, version, value, description FROM config_history
                   WHERE change <> 'deleted' AND (slug, env, key) IN (
                     SELECT * FROM unnest(${rollbacks.map((e) => e.data.slug)}::text[],
                       ${rollbacks.map((e) => e.data.env)}::text[], ${rollbacks.map((e) => e.data.key)}::text[]))`)} AS targets,
        ${rows(sql`SELECT * FROM default_policies WHERE ${hasDefaults}::boolean`)} AS defaults
    `.execute(trx);
    for (const row of loaded.services) set.services.load(row.slug, dated(row));
    for (const row of loaded.policies)
      set.policies.load(keyOf(row.slug, row.type, row.env), dated(row));
    for (const row of loaded.config) set.config.load(keyOf(row.slug, row.env, row.key), dated(row));
    for (const row of loaded.maxima)
      set.historyMax.set(keyOf(row.slug, row.env, row.key), Number(row.max));
    for (const row of loaded.targets)
      set.historyRows.set(keyOf(row.slug, row.env, row.key, row.version), row);
    for (const row of loaded.defaults) set.defaults.load(row.type, dated(row));
    return set;
  }

  /** Applies one event in memory; throws a Rejection before changing anything. */
  apply(event: DomainEvent): StateChange {
    const at = new Date(event.occurredAt);
    const change = this.applyToState(event, at);
    const revision = this.bump(event.aggregate);
    if (event.type === 'default-policy.set') {
      this.bump(defaultsRevisionAggregate);
      this.defaultsChanged = true;
    } else {
      this.changedSlugs.add(event.data.slug);
    }
    return { ...change, revision };
  }

  private bump(aggregate: string): number {
    const revision = (this.revisions.get(aggregate) ?? 0) + 1;
    this.revisions.set(aggregate, revision);
    this.touchedRevisions.add(aggregate);
    return revision;
  }

  private requireService(slug: string): ServiceRow {
    const row = this.services.get(slug);
    if (!row) throw new Rejection('not-found', `service ${slug} does not exist`);
    return row;
  }

  private policiesOf(slug: string): [string, PolicyRow][] {
    return [...this.policies.present()].filter(([, row]) => row.slug === slug);
  }

  private configOf(slug: string): [string, ConfigRow][] {
    return [...this.config.present()].filter(([, row]) => row.slug === slug);
  }

  private applyToState(event: DomainEvent, at: Date): Omit<StateChange, 'revision'> {
    switch (event.type) {
      case 'service.registered': {
        const d = event.data;
        assertExpectedVersion(`service ${d.slug}`, event.expectedVersion, 0);
        if (this.services.get(d.slug))
          throw new Rejection('conflict', `service ${d.slug} already exists`);
        const row: ServiceRow = {
          slug: d.slug,
          name: d.name,
          owner: d.owner,
          tier: d.tier,
          lifecycle: d.lifecycle,
          tags: d.tags ?? [],
          links: d.links ?? [],
          description: d.description ?? null,
          version: 1,
          created_at: at,
          updated_at: at,
        };
        this.services.set(d.slug, row);
        const after = toServiceResource(row);
        return { before: undefined, after, version: after.version };
      }
      case 'service.updated': {
        const { slug, reason: _reason, ...patch } = event.data;
        const current = this.requireService(slug);
        assertExpectedVersion(`service ${slug}`, event.expectedVersion, current.version);
        const before = toServiceResource(current);
        const { version: _v, createdAt: _c, updatedAt: _u, ...fields } = before;
        const merged = applyMergePatch(fields, patch) as typeof fields;
        const row: ServiceRow = {
          ...current,
          name: merged.name,
          owner: merged.owner,
          tier: merged.tier,
          lifecycle: merged.lifecycle,
          tags: merged.tags ?? [],
          links: merged.links ?? [],
          description: merged.description ?? null,
          version: current.version + 1,
          updated_at: at,
        };
        this.services.set(slug, row);
        const after = toServiceResource(row);
        return { before, after, version: after.version };
      }
      case 'service.deleted': {
        const { slug } = event.data;
        const current = this.requireService(slug);
        assertExpectedVersion(`service ${slug}`, event.expectedVersion, current.version);
        // Policies and configuration go with the service, and so does the history.
        for (const [key] of this.policiesOf(slug)) this.policies.set(key, null);
        for (const [key] of this.configOf(slug)) this.config.set(key, null);
        this.clearHistory(slug);
        this.services.set(slug, null);
        return { before: toServiceResource(current), after: undefined };
      }
      case 'policy.set': {
        const d = event.data;
        this.requireService(d.slug);
        const key = keyOf(d.slug, d.type, d.env);
        const current = this.policies.get(key);
        assertExpectedVersion(
          `policy ${d.type} (${d.env}) of ${d.slug}`,
          event.expectedVersion,
          current?.version ?? 0,
        );
        const row: PolicyRow = {
          slug: d.slug,
          type: d.type,
          env: d.env,
          enabled: d.enabled,
          spec: d.spec,
          version: (current?.version ?? 0) + 1,
          created_at: current?.created_at ?? at,
          updated_at: at,
        };
        this.policies.set(key, row);
        const after = toPolicyResource(row);
        return { before: current && toPolicyResource(current), after, version: after.version };
      }
      case 'policy.removed': {
        const d = event.data;
        this.requireService(d.slug);
        const key = keyOf(d.slug, d.type, d.env);
        const current = this.policies.get(key);
        if (!current)
          throw new Rejection('not-found', `${d.slug} has no ${d.type} policy for env ${d.env}`);
        assertExpectedVersion(
          `policy ${d.type} (${d.env}) of ${d.slug}`,
          event.expectedVersion,
          current.version,
        );
        this.policies.set(key, null);
        return { before: toPolicyResource(current), after: undefined };
      }
      case 'default-policy.set': {
        const d = event.data;
        const current = this.defaults.get(d.type);
        assertExpectedVersion(
          `default ${d.type} policy`,
          event.expectedVersion,
          current?.version ?? 0,
        );
        const row: DefaultPolicyRow = {
          type: d.type,
          enabled: d.enabled ?? true,
          spec: d.spec,
          version: (current?.version ?? 0) + 1,
          created_at: current?.created_at ?? at,
          updated_at: at,
        };
        this.defaults.set(d.type, row);
        const after = toDefaultPolicyResource(row);
        return {
          before: current && toDefaultPolicyResource(current),
          after,
          version: after.version,
        };
      }
      case 'config.set':
      case 'config.rolled-back': {
        const d = event.data;
        this.requireService(d.slug);
        const entryKey = keyOf(d.slug, d.env, d.key);
        const current = this.config.get(entryKey);
        const what = `config ${d.key} (${d.env}) of ${d.slug}`;
        assertExpectedVersion(what, event.expectedVersion, current?.version ?? 0);
        let value: unknown;
        let description: string | null;
        if (event.type === 'config.rolled-back') {
          const target = this.historyRows.get(keyOf(d.slug, d.env, d.key, event.data.toVersion));
          if (!target)
            throw new Rejection(
              'rule',
              `${what} has no version ${event.data.toVersion} to roll back to`,
            );
          value = target.value;
          description = target.description;
        } else {
          value = event.data.value;
          description = event.data.description ?? null;
        }
        // Versions continue after a delete so that history never reuses a number.
        const version = (this.historyMax.get(entryKey) ?? 0) + 1;
        const row: ConfigRow = {
          slug: d.slug,
          env: d.env,
          key: d.key,
          value,
          description,
          version,
          created_at: current?.created_at ?? at,
          updated_at: at,
        };
        this.config.set(entryKey, row);
        this.historyMax.set(entryKey, version);
        this.historyRows.set(keyOf(d.slug, d.env, d.key, version), { value, description });
        this.newHistory.push({
          slug: d.slug,
          env: d.env,
          key: d.key,
          version,
          value: json(value),
          description,
          event_id: event.id,
          change:
            event.type === 'config.rolled-back' ? `rolled-back to ${event.data.toVersion}` : 'set',
          created_at: at,
        });
        const after = toConfigResource(row);
        return { before: current && toConfigResource(current), after, version };
      }
      case 'config.deleted': {
        const d = event.data;
        this.requireService(d.slug);
        const key = keyOf(d.slug, d.env, d.key);
        const current = this.config.get(key);
        const what = `config ${d.key} (${d.env}) of ${d.slug}`;
        if (!current) throw new Rejection('not-found', `${what} does not exist`);
        assertExpectedVersion(what, event.expectedVersion, current.version);
        this.config.set(key, null);
        return { before: toConfigResource(current), after: undefined };
      }
    }
  }

  private clearHistory(slug: string): void {
    this.clearedHistory.add(slug);
    const prefix = slug + SEP;
    for (const key of [...this.historyMax.keys()])
      if (key.startsWith(prefix)) this.historyMax.delete(key);
    for (const key of [...this.historyRows.keys()])
      if (key.startsWith(prefix)) this.historyRows.delete(key);
    for (let i = this.newHistory.length - 1; i >= 0; i--) {
      if (this.newHistory[i].slug === slug) this.newHistory.splice(i, 1);
    }
  }

  /**
   * Writes the batch's net effect. What only a service's registration or deletion needs
   * runs first, on its own; everything else, with the caller's own `writes` (audit,
   * outcomes, outbox), goes in one statement of data-modifying CTEs: one round trip
   * however many tables a batch touches. The rows each part writes are disjoint, as one
   * statement requires.
   */
  async flush(trx: Trx, writes: RawBuilder<unknown>[]): Promise<void> {
    if (this.clearedHistory.size > 0) {
      await trx
        .deleteFrom('config_history')
        .where('slug', 'in', [...this.clearedHistory])
        .execute();
    }
    const removedServices = this.services.deletions();
    if (removedServices.length > 0) {
      await trx.deleteFrom('services').where('slug', 'in', removedServices).execute();
    }
    for (const part of chunks(this.services.upserts(), 11)) {
      const written = await trx
        .insertInto('services')
        .values(part.map(([, r]) => ({ ...r, links: json(r.links) })))
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
      for (const row of written) this.services.refresh(row.slug, row);
    }
    for (const part of chunks(this.defaults.upserts(), 6)) {
      const written = await trx
        .insertInto('default_policies')
        .values(part.map(([, r]) => ({ ...r, spec: json(r.spec) })))
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
      for (const row of written) this.defaults.refresh(row.type, row);
    }

    const parts: RawBuilder<unknown>[] = [];
    const removedConfig = this.config.deletions().map((k) => k.split(SEP));
    if (removedConfig.length > 0) {
      parts.push(sql`
        DELETE FROM config_entries WHERE (slug, env, key) IN (
          SELECT * FROM unnest(${removedConfig.map((k) => k[0])}::text[], ${removedConfig.map((k) => k[1])}::text[],
                               ${removedConfig.map((k) => k[2])}::text[]))`);
    }
    const removedPolicies = this.policies.deletions().map((k) => k.split(SEP));
    if (removedPolicies.length > 0) {
      parts.push(sql`
        DELETE FROM policies WHERE (slug, type, env) IN (
          SELECT * FROM unnest(${removedPolicies.map((k) => k[0])}::text[], ${removedPolicies.map((k) => k[1])}::text[],
                               ${removedPolicies.map((k) => k[2])}::text[]))`);
    }
    const policies = this.policies.upserts().map(([, r]) => r);
    if (policies.length > 0) {
      parts.push(sql`
        INSERT INTO policies ${columnList(POLICY_COLUMNS)} ${unnestRows(policies, POLICY_COLUMNS)}
        ON CONFLICT (slug, type, env) DO UPDATE SET
          enabled = excluded.enabled, spec = excluded.spec, version = excluded.version,
          created_at = excluded.created_at, updated_at = excluded.updated_at`);
    }
    const config = this.config.upserts().map(([, r]) => r);
    if (config.length > 0) {
      parts.push(sql`
        INSERT INTO config_entries ${columnList(CONFIG_COLUMNS)} ${unnestRows(config, CONFIG_COLUMNS)}
        ON CONFLICT (slug, env, key) DO UPDATE SET
          value = excluded.value, description = excluded.description, version = excluded.version,
          created_at = excluded.created_at, updated_at = excluded.updated_at`);
    }
    if (this.newHistory.length > 0) {
      parts.push(
        sql`INSERT INTO config_history ${columnList(HISTORY_COLUMNS)} ${unnestRows(this.newHistory, HISTORY_COLUMNS)}`,
      );
    }
    const revisions = [...this.revisions].filter(([aggregate]) =>
      this.touchedRevisions.has(aggregate),
    );
    if (revisions.length > 0) {
      parts.push(sql`
        UPDATE aggregates AS a SET revision = v.revision
        FROM (${unnestRows(revisions, REVISION_COLUMNS)}) AS v
        WHERE a.aggregate = v.aggregate`);
    }
    // Locking created a row for every aggregate of the batch; one whose events were all
    // rejected never existed and must not appear to.
    const untouched = [...this.revisions]
      .filter(([, revision]) => revision === 0)
      .map(([aggregate]) => aggregate);
    if (untouched.length > 0) {
      parts.push(
        sql`DELETE FROM aggregates WHERE aggregate = ANY(${untouched}::text[]) AND revision = 0`,
      );
    }
    parts.push(...writes);
    if (parts.length === 0) return;
    await sql`
      WITH ${sql.join(parts.map((part, n) => sql`${sql.raw(`w${n}`)} AS (${part})`))}
      SELECT 1
    `.execute(trx);
  }

  /** The final state of every aggregate that a change reached, for the caches. */
  documents(): AggregateDocument[] {
    const out: AggregateDocument[] = [];
    for (const slug of this.changedSlugs) {
      const aggregate = `service:${slug}`;
      const revision = this.revisions.get(aggregate) ?? 0;
      const row = this.services.get(slug);
      if (!row) {
        out.push({ kind: 'service', aggregate, slug, revision });
        continue;
      }
      const service = toServiceResource(row);
      const { version: _v, createdAt: _c, updatedAt: _u, ...state } = service;
      const policies = this.policiesOf(slug)
        .map(([, r]) => r)
        .sort((a, b) => a.type.localeCompare(b.type) || a.env.localeCompare(b.env))
        .map(toPolicyResource);
      const config = this.configOf(slug)
        .map(([, r]) => r)
        .sort((a, b) => a.env.localeCompare(b.env) || a.key.localeCompare(b.key))
        .map((r) => ({ env: r.env, key: r.key, value: r.value }));
      out.push({
        kind: 'service',
        aggregate,
        slug,
        revision,
        service,
        snapshot: { service: state, policies, config, revision },
      });
    }
    if (this.defaultsChanged) {
      const revision = this.revisions.get(defaultsRevisionAggregate) ?? 0;
      const policies = [...this.defaults.present()]
        .map(([, r]) => r)
        .sort((a, b) => a.type.localeCompare(b.type))
        .map(toDefaultPolicyResource);
      out.push({
        kind: 'defaults',
        aggregate: defaultsRevisionAggregate,
        revision,
        defaults: { policies, revision },
      });
    }
    return out;
  }
}
