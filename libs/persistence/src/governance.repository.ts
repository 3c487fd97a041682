import { sql } from 'kysely';
import type { Database } from './database.js';
import {
  toConfigResource,
  toDefaultPolicyResource,
  toPolicyResource,
  toServiceResource,
} from './row-mappers.js';
import { defaultsRevisionAggregate } from './revisions.js';
import { serviceAggregate } from '#domain/event.model';
import type { ServiceResource, Versioned } from '#domain/service.model';
import type { DefaultPolicyState, PolicyState } from '#domain/policy.model';
import type { ConfigEntryState } from '#domain/config.model';

/** A read together with the revision of the aggregate it was read from: the list's ETag. */
export interface RevisedList<T> {
  items: T[];
  revision: number;
}

/** Everything one service owns, as the record holds it now. */
export interface ServiceHoldings {
  service: ServiceResource;
  policies: Versioned<PolicyState>[];
  config: Versioned<ConfigEntryState>[];
  revision: number;
}

/**
 * Governance reads that are not on the hot path (the effective view is served by the
 * caches): a service's policies and configuration, the global defaults, and whole
 * services for export and import. Each read runs in one snapshot so that a list and
 * the revision it is tagged with always agree.
 */
export class GovernanceRepository {
  constructor(private readonly db: Database) {}

  /** The service's policy overrides; undefined when the service does not exist. */
  async servicePolicies(slug: string): Promise<RevisedList<Versioned<PolicyState>> | undefined> {
    return this.snapshot(async (trx) => {
      const revision = await serviceRevision(trx, slug);
      if (revision === undefined) return undefined;
      const rows = await trx
        .selectFrom('policies')
        .selectAll()
        .where('slug', '=', slug)
        .orderBy('type')
        .orderBy('env')
        .execute();
      return { items: rows.map(toPolicyResource), revision };
    });
  }

  /** The service's entries for one environment; undefined when the service does not exist. */
  async environmentConfig(
    slug: string,
    env: string,
  ): Promise<RevisedList<Versioned<ConfigEntryState>> | undefined> {
    return this.snapshot(async (trx) => {
      const revision = await serviceRevision(trx, slug);
      if (revision === undefined) return undefined;
      const rows = await trx
        .selectFrom('config_entries')
        .selectAll()
        .where('slug', '=', slug)
        .where('env', '=', env)
        .orderBy('key')
        .execute();
      return { items: rows.map(toConfigResource), revision };
    });
  }

  /** Whether the service exists, and its aggregate's revision. */
  async serviceRevision(slug: string): Promise<number | undefined> {
    return serviceRevision(this.db, slug);
  }

  async defaultPolicies(): Promise<RevisedList<Versioned<DefaultPolicyState>>> {
    return this.snapshot(async (trx) => {
      const [rows, revision] = await Promise.all([
        trx.selectFrom('default_policies').selectAll().orderBy('type').execute(),
        trx
          .selectFrom('aggregates')
          .select('revision')
          .where('aggregate', '=', defaultsRevisionAggregate)
          .executeTakeFirst(),
      ]);
      return { items: rows.map(toDefaultPolicyResource), revision: revision?.revision ?? 0 };
    });
  }

  /** The slugs of every service, or of those with this owner and/or tag, in slug order. */
  async serviceSlugs(filter: { owner?: string; tag?: string }): Promise<string[]> {
    let query = this.db.selectFrom('services').select('slug').orderBy('slug');
    if (filter.owner !== undefined) query = query.where('owner', '=', filter.owner);
    if (filter.tag !== undefined)
      query = query.where(sql<boolean>`tags @> ARRAY[${filter.tag}]::text[]`);
    return (await query.execute()).map((row) => row.slug);
  }

  /** The services among `slugs` that exist, each with its policies and every environment's config. */
  async serviceHoldings(slugs: readonly string[]): Promise<Map<string, ServiceHoldings>> {
    const found = new Map<string, ServiceHoldings>();
    if (slugs.length === 0) return found;
    return this.snapshot(async (trx) => {
      const [services, revisions, policies, config] = await Promise.all([
        trx.selectFrom('services').selectAll().where('slug', 'in', slugs).execute(),
        trx
          .selectFrom('aggregates')
          .select(['aggregate', 'revision'])
          .where('aggregate', 'in', slugs.map(serviceAggregate))
          .execute(),
        trx
          .selectFrom('policies')
          .selectAll()
          .where('slug', 'in', slugs)
          .orderBy('type')
          .orderBy('env')
          .execute(),
        trx
          .selectFrom('config_entries')
          .selectAll()
          .where('slug', 'in', slugs)
          .orderBy('env')
          .orderBy('key')
          .execute(),
      ]);
      const revisionOf = new Map(revisions.map((r) => [r.aggregate, r.revision]));
      for (const row of services) {
        found.set(row.slug, {
          service: toServiceResource(row),
          policies: [],
          config: [],
          revision: revisionOf.get(serviceAggregate(row.slug)) ?? 0,
        });
      }
      for (const row of policies) found.get(row.slug)?.policies.push(toPolicyResource(row));
      for (const row of config) found.get(row.slug)?.config.push(toConfigResource(row));
      return found;
    });
  }

  private snapshot<T>(read: (trx: Database) => Promise<T>): Promise<T> {
    return this.db.transaction().setIsolationLevel('repeatable read').execute(read);
  }
}

async function serviceRevision(db: Database, slug: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('services as s')
    .leftJoin('aggregates as a', (join) => join.on('a.aggregate', '=', serviceAggregate(slug)))
    .select('a.revision')
    .where('s.slug', '=', slug)
    .executeTakeFirst();
  return row ? (row.revision ?? 0) : undefined;
}
