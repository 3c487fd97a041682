import { Injectable } from '@nestjs/common';
import type { TokenGrant } from '#config/warden-config';
import type { EventType } from '#domain/event.model';
import { decideWriteScope, type WriteTarget } from '#domain/write-scope';
import { CatalogCache } from '../read-model/catalog-cache.service.js';
import { ProblemException } from '../http/problem.js';
import { ProtectionGate } from '../protection/protection-gate.service.js';

/**
 * Applies the domain's scope rule and the protection rules to every direct write
 * before it is published. The owner is read from the catalog as this instance sees it;
 * a concurrent hand-over to another team can race a write by a few milliseconds, the
 * same window any read-then-write has.
 */
@Injectable()
export class WriteAuthorizer {
  constructor(
    private readonly catalog: CatalogCache,
    private readonly protection: ProtectionGate,
  ) {}

  /** A direct write: within the token's scope, and to no target a protection rule covers. */
  async authorize(grant: TokenGrant, type: EventType, data: WriteTarget['data']): Promise<void> {
    await this.authorizeScope(grant, type, data);
    await this.protection.admitDirect([{ type, data }]);
  }

  /** Out of scope: `403` (`404` when a team-scoped token names a service that does not exist). */
  async authorizeScope(
    grant: TokenGrant,
    type: EventType,
    data: WriteTarget['data'],
  ): Promise<void> {
    const scope = { teams: grant.teams, envs: grant.envs, admin: grant.role === 'admin' };
    if (!scope.teams && !scope.envs) return;
    const currentOwner =
      type !== 'default-policy.set' &&
      type !== 'service.registered' &&
      typeof data.slug === 'string'
        ? await this.ownerOf(data.slug)
        : undefined;
    const decision = decideWriteScope(scope, { type, data, currentOwner });
    if (decision.allowed) return;
    if (decision.notFound) throw new ProblemException(404, decision.detail);
    throw new ProblemException(403, decision.detail, {
      type: 'https://warden.dev/problems/out-of-scope',
    });
  }

  private async ownerOf(slug: string): Promise<string | undefined> {
    const document = await this.catalog.service(slug);
    return document ? (JSON.parse(document.json) as { owner: string }).owner : undefined;
  }
}
