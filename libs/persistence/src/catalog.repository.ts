import { sql } from 'kysely';
import type { Database } from './database.js';
import {
  toConfigResource,
  toDefaultPolicyResource,
  toPolicyResource,
  toServiceResource,
} from './row-mappers.js';
import type { ServiceResource, Versioned } from '#domain/service.model';
import type { DefaultsSnapshot, ServiceSnapshot } from '#domain/effective-view';
import type { DefaultPolicyState, PolicyState } from '#domain/policy.model';
import type { ConfigEntryState } from '#domain/config.model';
import { serviceAggregate } from '#domain/event.model';
import { defaultsRevisionAggregate } from './revisions.js';

export interface ServiceListFilter {
  owner?: string;
  tier?: number;
  lifecycle?: string;
  tag?: string;
  q?: string;
  limit: number;
  /** Exclusive lower bound: the last slug of the previous page. */
  after?: string;
}

/** Read side of the system of record: what the API falls back to on a cache miss. */
export class CatalogRepository {
  constructor(private readonly db: Database) {}

  /** The service and the aggregate's revision; a deleted slug keeps its last revision. */
  async findService(slug: string): Promise<{ service?: ServiceResource; revision: number }> {
    const row = await this.db
      .selectFrom('aggregates as a')
      .leftJoin('services as s', (join) => join.on('s.slug', '=', slug))
      .selectAll('s')
      .select('a.revision')
      .where('a.aggregate', '=', serviceAggregate(slug))
      .executeTakeFirst();
    if (!row) return { revision: 0 };
    if (row.slug === null) return { revision: row.revision };
    return {
      service: toServiceResource(row as Parameters<typeof toServiceResource>[0]),
      revision: row.revision,
    };
  }

  async listServices(filter: ServiceListFilter): Promise<ServiceResource[]> {
    let query = this.db.selectFrom('services').selectAll().orderBy('slug').limit(filter.limit);
    if (filter.owner !== undefined) query = query.where('owner', '=', filter.owner);
    if (filter.tier !== undefined) query = query.where('tier', '=', filter.tier);
    if (filter.lifecycle !== undefined) query = query.where('lifecycle', '=', filter.lifecycle);
    if (filter.tag !== undefined)
      query = query.where(sql<boolean>`tags @> ARRAY[${filter.tag}]::text[]`);
    if (filter.after !== undefined) query = query.where('slug', '>', filter.after);
    if (filter.q !== undefined && filter.q !== '') {
      const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where((eb) =>
        eb.or([
          eb('slug', 'ilike', pattern),
          eb('name', 'ilike', pattern),
          eb('description', 'ilike', pattern),
        ]),
      );
    }
    return (await query.execute()).map(toServiceResource);
  }

  /** Everything the service's effective views are made of, read in one snapshot. */
  async serviceSnapshot(slug: string): Promise<{ snapshot?: ServiceSnapshot; revision: number }> {
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const found = await new CatalogRepository(trx).findService(slug);
        if (!found.service) return { revision: found.revision };
        const [policies, config] = await Promise.all([
          trx.selectFrom('policies').selectAll().where('slug', '=', slug).execute(),
          trx
            .selectFrom('config_entries')
            .select(['env', 'key', 'value', 'secret'])
            .where('slug', '=', slug)
            .execute(),
        ]);
        const { version: _v, createdAt: _c, updatedAt: _u, ...service } = found.service;
        return {
          revision: found.revision,
          snapshot: {
            service,
            policies: policies.map(toPolicyResource),
            config: config.map(({ secret, ...entry }) => (secret ? { ...entry, secret } : entry)),
            revision: found.revision,
          },
        };
      });
  }

  async defaultsSnapshot(): Promise<DefaultsSnapshot> {
    const [rows, revision] = await Promise.all([
      this.db.selectFrom('default_policies').selectAll().execute(),
      this.db
        .selectFrom('aggregates')
        .select('revision')
        .where('aggregate', '=', defaultsRevisionAggregate)
        .executeTakeFirst(),
    ]);
    return { policies: rows.map(toDefaultPolicyResource), revision: revision?.revision ?? 0 };
  }

  async listPolicies(slug: string): Promise<Versioned<PolicyState>[]> {
    const rows = await this.db
      .selectFrom('policies')
      .selectAll()
      .where('slug', '=', slug)
      .orderBy('type')
      .orderBy('env')
      .execute();
    return rows.map(toPolicyResource);
  }

  async findPolicy(
    slug: string,
    type: string,
    env: string,
  ): Promise<Versioned<PolicyState> | undefined> {
    const row = await this.db
      .selectFrom('policies')
      .selectAll()
      .where('slug', '=', slug)
      .where('type', '=', type)
      .where('env', '=', env)
      .executeTakeFirst();
    return row && toPolicyResource(row);
  }

  async findDefaultPolicy(type: string): Promise<Versioned<DefaultPolicyState> | undefined> {
    const row = await this.db
      .selectFrom('default_policies')
      .selectAll()
      .where('type', '=', type)
      .executeTakeFirst();
    return row && toDefaultPolicyResource(row);
  }

  async listConfig(slug: string, env: string): Promise<Versioned<ConfigEntryState>[]> {
    const rows = await this.db
      .selectFrom('config_entries')
      .selectAll()
      .where('slug', '=', slug)
      .where('env', '=', env)
      .orderBy('key')
      .execute();
    return rows.map(toConfigResource);
  }

  async findConfig(
    slug: string,
    env: string,
    key: string,
  ): Promise<Versioned<ConfigEntryState> | undefined> {
    const row = await this.db
      .selectFrom('config_entries')
      .selectAll()
      .where('slug', '=', slug)
      .where('env', '=', env)
      .where('key', '=', key)
      .executeTakeFirst();
    return row && toConfigResource(row);
  }

  /**
   * An entry's versions, newest first: all of them, those older than `before`, at most
   * `limit`, or exactly the `versions` asked for.
   */
  async configHistory(
    slug: string,
    env: string,
    key: string,
    page: { before?: number; limit?: number; versions?: readonly number[] } = {},
  ) {
    let query = this.db
      .selectFrom('config_history')
      .select(['version', 'value', 'description', 'secret', 'change', 'event_id', 'created_at'])
      .where('slug', '=', slug)
      .where('env', '=', env)
      .where('key', '=', key)
      .orderBy('version', 'desc');
    if (page.before !== undefined) query = query.where('version', '<', page.before);
    if (page.versions !== undefined) query = query.where('version', 'in', page.versions);
    if (page.limit !== undefined) query = query.limit(page.limit);
    const rows = await query.execute();
    return rows.map((r) => ({
      version: r.version,
      value: r.value,
      ...(r.description !== null ? { description: r.description } : {}),
      ...(r.secret ? { secret: true as const } : {}),
      change: r.change,
      eventId: r.event_id,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }
}
