import { sql, type RawBuilder, type Selectable, type Transaction } from 'kysely';
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
import type { DomainEvent } from '#domain/event-validation';
import { defaultsAggregate, serviceAggregate } from '#domain/event.model';
import {
  emptyServiceAggregate,
  type AggregateState,
  type ConfigLineage,
  type ConfigVersion,
  type ServiceAggregate,
} from '#domain/governance-state';
import type { PolicyType } from '#domain/policy.model';
import { sameEntry } from '#domain/config.rules';

type HistoryTarget = Pick<
  Selectable<ConfigHistoryTable>,
  'slug' | 'env' | 'key' | 'version' | 'value' | 'description' | 'secret'
>;

interface LoadedRows {
  services: Selectable<ServicesTable>[];
  policies: Selectable<PoliciesTable>[];
  config: Selectable<ConfigEntriesTable>[];
  maxima: { slug: string; env: string; key: string; max: number }[];
  targets: HistoryTarget[];
  defaults: Selectable<DefaultPoliciesTable>[];
}

function slugOf(event: DomainEvent): string | undefined {
  return event.type === 'default-policy.set' ? undefined : event.data.slug;
}

/**
 * The state of every aggregate that `events` touch, as PostgreSQL holds it, in one
 * round trip. A service comes with its policies and configuration; the history only as
 * far as the rules need it: the last version of each entry that a configuration event
 * names, and the versions that its rollbacks name. Any default event
 * loads every default, since the defaults' document lists them all. A service in
 * `known` (the state its locked revision names, see `AggregateStateCache`) is not read
 * again, nor the last version of an entry it knows; when nothing is left to read there
 * is no round trip at all.
 */
export async function loadAggregates(
  trx: Transaction<WardenDatabase>,
  events: DomainEvent[],
  known: ReadonlyMap<string, ServiceAggregate> = new Map(),
): Promise<Map<string, AggregateState>> {
  const states = new Map<string, AggregateState>();
  if (events.length === 0) return states;
  const slugs = [...new Set(events.map(slugOf).filter((s): s is string => s !== undefined))];
  const unknown = slugs.filter((slug) => !known.has(slug));
  const rollbacks = events.filter((e) => e.type === 'config.rolled-back');
  const rolledBack = new Set(rollbacks.map((e) => entryKey(e.data)));
  // The rules read an entry's history only for the entries that config events name, and
  // a known state's last version of an entry is as good as the history's maximum: its
  // revision says nobody changed the service since. A rollback reads the versions.
  const entries = uniqueEntries(events).filter((entry) => {
    const lineages = known.get(entry.slug)?.history;
    return (
      !lineages ||
      rolledBack.has(entryKey(entry)) ||
      !lineages.some(sameEntry(entry.env, entry.key))
    );
  });
  const hasDefaults = events.some((e) => e.type === 'default-policy.set');
  if (unknown.length === 0 && entries.length === 0 && !hasDefaults) {
    for (const slug of slugs) states.set(serviceAggregate(slug), known.get(slug)!);
    return states;
  }
  const rows = (query: RawBuilder<unknown>) =>
    sql`(SELECT coalesce(json_agg(r), '[]') FROM (${query}) AS r)`;
  const {
    rows: [loaded],
  } = await sql<LoadedRows>`
    SELECT
      ${rows(sql`SELECT * FROM services WHERE slug = ANY(${unknown}::text[])`)} AS services,
      ${rows(sql`SELECT * FROM policies WHERE slug = ANY(${unknown}::text[])`)} AS policies,
      ${rows(sql`SELECT * FROM config_entries WHERE slug = ANY(${unknown}::text[])`)} AS config,
      ${rows(sql`SELECT h.slug, h.env, h.key, h.max FROM unnest(${entries.map((e) => e.slug)}::text[],
                   ${entries.map((e) => e.env)}::text[], ${entries.map((e) => e.key)}::text[]) AS t(slug, env, key)
                 CROSS JOIN LATERAL (SELECT slug, env, key, max(version) AS max FROM config_history
                   WHERE slug = t.slug AND env = t.env AND key = t.key GROUP BY slug, env, key) AS h`)} AS maxima,
      ${rows(sql`SELECT slug, env, key, version, value, description, secret FROM config_history
                 WHERE change <> 'deleted' AND (slug, env, key) IN (
                   SELECT * FROM unnest(${rollbacks.map((e) => e.data.slug)}::text[],
                     ${rollbacks.map((e) => e.data.env)}::text[], ${rollbacks.map((e) => e.data.key)}::text[]))`)} AS targets,
      ${rows(sql`SELECT * FROM default_policies WHERE ${hasDefaults}::boolean`)} AS defaults
  `.execute(trx);

  const policies = groupBy(loaded.policies.map(toPolicyResource), (p) => p.slug);
  const config = groupBy(loaded.config.map(toConfigResource), (c) => c.slug);
  const history = historyBySlug(loaded);
  const services = new Map(loaded.services.map((row) => [row.slug, toServiceResource(row)]));
  for (const slug of slugs) {
    const cached = known.get(slug);
    if (cached) {
      const read = history.get(slug) ?? [];
      const kept = cached.history.filter((l) => !read.some(sameEntry(l.env, l.key)));
      states.set(serviceAggregate(slug), { ...cached, history: [...kept, ...read] });
      continue;
    }
    const state: ServiceAggregate = {
      ...emptyServiceAggregate(slug),
      policies: policies.get(slug) ?? [],
      config: config.get(slug) ?? [],
      history: history.get(slug) ?? [],
    };
    const service = services.get(slug);
    states.set(serviceAggregate(slug), service ? { ...state, service } : state);
  }
  for (const row of loaded.defaults) {
    const type = row.type as PolicyType;
    states.set(defaultsAggregate(type), {
      kind: 'default-policy',
      type,
      policy: toDefaultPolicyResource(row),
    });
  }
  return states;
}

interface EntryName {
  slug: string;
  env: string;
  key: string;
}

/** One configuration entry's identity as a map key. */
function entryKey({ slug, env, key }: EntryName): string {
  return JSON.stringify([slug, env, key]);
}

function uniqueEntries(events: DomainEvent[]): EntryName[] {
  const entries = new Map<string, EntryName>();
  for (const event of events) {
    if (!event.type.startsWith('config.')) continue;
    const { slug, env, key } = event.data as EntryName;
    entries.set(entryKey({ slug, env, key }), { slug, env, key });
  }
  return [...entries.values()];
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(keyOf(item));
    if (group) group.push(item);
    else groups.set(keyOf(item), [item]);
  }
  return groups;
}

function historyBySlug(loaded: LoadedRows): Map<string, ConfigLineage[]> {
  const targets = groupBy(loaded.targets, entryKey);
  const lineages = loaded.maxima.map((row) => ({
    slug: row.slug,
    lineage: {
      env: row.env,
      key: row.key,
      lastVersion: Number(row.max),
      versions: (targets.get(entryKey(row)) ?? []).map(
        ({ version, value, description, secret }) => {
          const target: ConfigVersion = { version, value };
          if (description !== null) target.description = description;
          if (secret) target.secret = true;
          return target;
        },
      ),
    } satisfies ConfigLineage,
  }));
  const out = new Map<string, ConfigLineage[]>();
  for (const [slug, group] of groupBy(lineages, (l) => l.slug))
    out.set(
      slug,
      group.map((l) => l.lineage),
    );
  return out;
}
