import { sql, type Transaction } from 'kysely';
import type { Database } from './database.js';
import type { WardenDatabase } from './database.types.js';
import {
  toConfigResource,
  toDefaultPolicyResource,
  toPolicyResource,
  toServiceResource,
} from './row-mappers.js';
import { defaultsRevisionAggregate } from './revisions.js';
import type { DomainEvent } from '#domain/event-validation';
import { Rejection, assertExpectedVersion } from '#domain/rejection';
import { applyMergePatch } from '#domain/merge-patch';

type Trx = Transaction<WardenDatabase>;

/** What applying one event changed: enough to refresh caches and answer a waiting writer. */
export interface AppliedChange {
  eventId: string;
  type: DomainEvent['type'];
  aggregate: string;
  /** The aggregate's revision after this change (orders cache writes). */
  revision: number;
  /** The changed resource's own version; absent for a delete. */
  version?: number;
  before: unknown;
  after: unknown;
  appliedAt: string;
}

export type ApplyOutcome =
  | { status: 'applied'; change: AppliedChange }
  | { status: 'rejected'; code: Rejection['code']; reason: string }
  | { status: 'duplicate' };

const json = (value: unknown) => JSON.stringify(value ?? null);

/** Write side of the system of record; one transaction per event. */
export class ProjectionRepository {
  constructor(private readonly db: Database) {}

  async apply(event: DomainEvent): Promise<ApplyOutcome> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const fresh = await trx
          .insertInto('processed_events')
          .values({
            id: event.id,
            aggregate: event.aggregate,
            type: event.type,
            status: 'applied',
            processed_at: new Date(),
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!fresh) return { status: 'duplicate' } as const;

        const revision = await bumpRevision(trx, event.aggregate);
        const now = new Date();
        const { before, after, version } = await applyToState(trx, event, now);
        if (event.type === 'default-policy.set') await bumpRevision(trx, defaultsRevisionAggregate);

        await trx
          .updateTable('processed_events')
          .set({ version: version ?? null })
          .where('id', '=', event.id)
          .execute();
        await trx
          .insertInto('audit_log')
          .values({
            event_id: event.id,
            type: event.type,
            aggregate: event.aggregate,
            actor: event.actor,
            reason: (event.data as { reason?: string }).reason ?? null,
            version: version ?? null,
            before: before === undefined ? null : json(before),
            after: after === undefined ? null : json(after),
            occurred_at: event.occurredAt,
            applied_at: now,
          })
          .execute();
        return {
          status: 'applied',
          change: {
            eventId: event.id,
            type: event.type,
            aggregate: event.aggregate,
            revision,
            version,
            before,
            after,
            appliedAt: now.toISOString(),
          },
        } as const;
      });
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      return this.recordRejection(event, error);
    }
  }

  private async recordRejection(event: DomainEvent, rejection: Rejection): Promise<ApplyOutcome> {
    const inserted = await this.db
      .insertInto('processed_events')
      .values({
        id: event.id,
        aggregate: event.aggregate,
        type: event.type,
        status: 'rejected',
        code: rejection.code,
        reason: rejection.message,
        processed_at: new Date(),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return { status: 'duplicate' };
    return { status: 'rejected', code: rejection.code, reason: rejection.message };
  }

  async recordDeadLetter(input: {
    eventId?: string;
    reason: string;
    partition: number;
    offset: string;
    key: string | null;
    payload: Buffer | null;
  }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('dead_letters')
        .values({
          event_id: input.eventId ?? null,
          reason: input.reason,
          original_partition: input.partition,
          original_offset: input.offset,
          key: input.key,
          payload: input.payload,
          created_at: new Date(),
        })
        .execute();
      if (input.eventId) {
        await trx
          .insertInto('processed_events')
          .values({
            id: input.eventId,
            aggregate: input.key ?? '',
            type: 'unknown',
            status: 'dead-lettered',
            reason: input.reason,
            processed_at: new Date(),
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      }
    });
  }
}

async function bumpRevision(trx: Trx, aggregate: string): Promise<number> {
  // The upsert takes the aggregate's row lock, which serialises concurrent writers of
  // one aggregate even if two workers briefly own the same partition during a rebalance.
  const row = await trx
    .insertInto('aggregates')
    .values({ aggregate, revision: 1 })
    .onConflict((oc) =>
      oc.column('aggregate').doUpdateSet({ revision: sql<number>`aggregates.revision + 1` }),
    )
    .returning('revision')
    .executeTakeFirstOrThrow();
  return row.revision;
}

interface StateChange {
  before: unknown;
  after: unknown;
  version?: number;
}

async function requireService(trx: Trx, slug: string) {
  const row = await trx
    .selectFrom('services')
    .selectAll()
    .where('slug', '=', slug)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new Rejection('not-found', `service ${slug} does not exist`);
  return row;
}

async function applyToState(trx: Trx, event: DomainEvent, now: Date): Promise<StateChange> {
  switch (event.type) {
    case 'service.registered': {
      const d = event.data;
      assertExpectedVersion(`service ${d.slug}`, event.expectedVersion, 0);
      const row = await trx
        .insertInto('services')
        .values({
          slug: d.slug,
          name: d.name,
          owner: d.owner,
          tier: d.tier,
          lifecycle: d.lifecycle,
          tags: d.tags ?? [],
          links: json(d.links ?? []),
          description: d.description ?? null,
          version: 1,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('slug').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new Rejection('conflict', `service ${d.slug} already exists`);
      const after = toServiceResource(row);
      return { before: undefined, after, version: after.version };
    }
    case 'service.updated': {
      const { slug, reason: _reason, ...patch } = event.data;
      const current = await requireService(trx, slug);
      assertExpectedVersion(`service ${slug}`, event.expectedVersion, current.version);
      const before = toServiceResource(current);
      const { version: _v, createdAt: _c, updatedAt: _u, ...fields } = before;
      const merged = applyMergePatch(fields, patch) as typeof fields;
      const row = await trx
        .updateTable('services')
        .set({
          name: merged.name,
          owner: merged.owner,
          tier: merged.tier,
          lifecycle: merged.lifecycle,
          tags: merged.tags ?? [],
          links: json(merged.links ?? []),
          description: merged.description ?? null,
          version: current.version + 1,
          updated_at: now,
        })
        .where('slug', '=', slug)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toServiceResource(row);
      return { before, after, version: after.version };
    }
    case 'service.deleted': {
      const { slug } = event.data;
      const current = await requireService(trx, slug);
      assertExpectedVersion(`service ${slug}`, event.expectedVersion, current.version);
      // Policies and configuration go with the service (ON DELETE CASCADE); so does history.
      await trx.deleteFrom('config_history').where('slug', '=', slug).execute();
      await trx.deleteFrom('services').where('slug', '=', slug).execute();
      return { before: toServiceResource(current), after: undefined };
    }
    case 'policy.set': {
      const d = event.data;
      await requireService(trx, d.slug);
      const current = await trx
        .selectFrom('policies')
        .selectAll()
        .where('slug', '=', d.slug)
        .where('type', '=', d.type)
        .where('env', '=', d.env)
        .executeTakeFirst();
      assertExpectedVersion(`policy ${d.type} (${d.env}) of ${d.slug}`, event.expectedVersion, current?.version ?? 0);
      const row = await trx
        .insertInto('policies')
        .values({
          slug: d.slug,
          type: d.type,
          env: d.env,
          enabled: d.enabled,
          spec: json(d.spec),
          version: 1,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['slug', 'type', 'env']).doUpdateSet({
            enabled: d.enabled,
            spec: json(d.spec),
            version: sql<number>`policies.version + 1`,
            updated_at: now,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toPolicyResource(row);
      return { before: current && toPolicyResource(current), after, version: after.version };
    }
    case 'policy.removed': {
      const d = event.data;
      await requireService(trx, d.slug);
      const current = await trx
        .deleteFrom('policies')
        .where('slug', '=', d.slug)
        .where('type', '=', d.type)
        .where('env', '=', d.env)
        .returningAll()
        .executeTakeFirst();
      if (!current) throw new Rejection('not-found', `${d.slug} has no ${d.type} policy for env ${d.env}`);
      assertExpectedVersion(`policy ${d.type} (${d.env}) of ${d.slug}`, event.expectedVersion, current.version);
      return { before: toPolicyResource(current), after: undefined };
    }
    case 'default-policy.set': {
      const d = event.data;
      const current = await trx
        .selectFrom('default_policies')
        .selectAll()
        .where('type', '=', d.type)
        .forUpdate()
        .executeTakeFirst();
      assertExpectedVersion(`default ${d.type} policy`, event.expectedVersion, current?.version ?? 0);
      const enabled = d.enabled ?? true;
      const row = await trx
        .insertInto('default_policies')
        .values({ type: d.type, enabled, spec: json(d.spec), version: 1, created_at: now, updated_at: now })
        .onConflict((oc) =>
          oc.column('type').doUpdateSet({
            enabled,
            spec: json(d.spec),
            version: sql<number>`default_policies.version + 1`,
            updated_at: now,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toDefaultPolicyResource(row);
      return { before: current && toDefaultPolicyResource(current), after, version: after.version };
    }
    case 'config.set':
    case 'config.rolled-back': {
      const d = event.data;
      await requireService(trx, d.slug);
      const current = await trx
        .selectFrom('config_entries')
        .selectAll()
        .where('slug', '=', d.slug)
        .where('env', '=', d.env)
        .where('key', '=', d.key)
        .executeTakeFirst();
      const what = `config ${d.key} (${d.env}) of ${d.slug}`;
      assertExpectedVersion(what, event.expectedVersion, current?.version ?? 0);
      let value: unknown;
      let description: string | null;
      if (event.type === 'config.rolled-back') {
        const target = await trx
          .selectFrom('config_history')
          .select(['value', 'description'])
          .where('slug', '=', d.slug)
          .where('env', '=', d.env)
          .where('key', '=', d.key)
          .where('version', '=', event.data.toVersion)
          .where('change', '!=', 'deleted')
          .executeTakeFirst();
        if (!target) throw new Rejection('rule', `${what} has no version ${event.data.toVersion} to roll back to`);
        value = target.value;
        description = target.description;
      } else {
        value = event.data.value;
        description = event.data.description ?? null;
      }
      // Versions continue after a delete so that history never reuses a number.
      const last = await trx
        .selectFrom('config_history')
        .select(sql<number>`max(version)`.as('max'))
        .where('slug', '=', d.slug)
        .where('env', '=', d.env)
        .where('key', '=', d.key)
        .executeTakeFirst();
      const version = (last?.max ?? 0) + 1;
      const row = await trx
        .insertInto('config_entries')
        .values({
          slug: d.slug,
          env: d.env,
          key: d.key,
          value: json(value),
          description,
          version,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['slug', 'env', 'key']).doUpdateSet({
            value: json(value),
            description,
            version,
            updated_at: now,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('config_history')
        .values({
          slug: d.slug,
          env: d.env,
          key: d.key,
          version,
          value: json(value),
          description,
          event_id: event.id,
          change: event.type === 'config.rolled-back' ? `rolled-back to ${event.data.toVersion}` : 'set',
          created_at: now,
        })
        .execute();
      const after = toConfigResource(row);
      return { before: current && toConfigResource(current), after, version };
    }
    case 'config.deleted': {
      const d = event.data;
      await requireService(trx, d.slug);
      const current = await trx
        .deleteFrom('config_entries')
        .where('slug', '=', d.slug)
        .where('env', '=', d.env)
        .where('key', '=', d.key)
        .returningAll()
        .executeTakeFirst();
      const what = `config ${d.key} (${d.env}) of ${d.slug}`;
      if (!current) throw new Rejection('not-found', `${what} does not exist`);
      assertExpectedVersion(what, event.expectedVersion, current.version);
      return { before: toConfigResource(current), after: undefined };
    }
  }
}
