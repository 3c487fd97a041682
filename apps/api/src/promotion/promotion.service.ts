import { Inject, Injectable } from '@nestjs/common';
import { SECRET_CIPHER } from '#config/config.constants';
import type { SecretCipher } from '#config/secret-cipher';
import { SECRET_MASK, isEncryptedValue } from '#domain/secret-value';
import type { ConfigEntryResource } from '#domain/governance-state';
import { audienceOf } from '../auth/secret-readers.js';
import type { EventStatus } from '#domain/event.model';
import { planPromotion, promotionWrites, type PromotionChange } from '#domain/promotion';
import type { Protection } from '#domain/protection';
import { GovernanceRepository } from '#persistence/governance.repository';
import { EventGateway } from '../writes/event-gateway.service.js';
import type { WriteContext } from '../writes/write-context.decorator.js';
import { ProtectionGate } from '../protection/protection-gate.service.js';
import { ProblemException } from '../http/problem.js';
import { ChangeRequestsService } from '../change-requests/change-requests.service.js';
import { MAX_CHANGES_PER_REQUEST } from '#domain/change-request.dto';
import type { ChangeRequest, ProposedChange } from '#domain/change-request.model';
import { validationFailed } from '../http/validation.js';
import type { PromoteConfigDto } from './promote.dto.js';

/** One `config.set` a promotion published, and what became of it. */
export interface PromotionWrite {
  key: string;
  eventId?: string;
  /** `not-accepted`: Kafka refused it, and the later keys were not sent. */
  status: EventStatus | 'not-accepted';
  reason?: string;
}

export interface PromotionReport {
  slug: string;
  from: string;
  to: string;
  dryRun: boolean;
  summary: Record<PromotionChange['change'], number>;
  changes: PromotionChange[];
  /** The rules the writes match, when the target is protected. */
  protection?: { rules: string[]; requiredApprovals: number };
  /** The events published (without `dryRun`, when not protected). */
  writes?: PromotionWrite[];
  /** The change request of the writes (without `dryRun`, when protected). */
  changeRequest?: ChangeRequest;
}

/**
 * Copies configuration from one environment of a service to another: the diff first,
 * then one `config.set` per added or changed key, each expecting the target's version
 * the diff saw (a change made meanwhile is `rejected`, not overwritten).
 */
@Injectable()
export class PromotionService {
  constructor(
    private readonly governance: GovernanceRepository,
    private readonly gateway: EventGateway,
    private readonly protection: ProtectionGate,
    private readonly changeRequests: ChangeRequestsService,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
  ) {}

  async promote(
    slug: string,
    body: PromoteConfigDto,
    context: WriteContext,
  ): Promise<{ report: PromotionReport; settled: boolean }> {
    if (body.from === body.to)
      throw validationFailed([{ field: 'to', message: 'to must differ from from' }]);
    const holdings = (await this.governance.serviceHoldings([slug])).get(slug);
    if (!holdings) throw new ProblemException(404, `Service ${slug} does not exist`);
    // Secrets are compared and copied as plaintexts (the gateway encrypts them again); one
    // that does not open with this key reads as the mask and is never copied.
    const unopened = new Set<string>();
    const entries = (env: string) =>
      holdings.config
        .filter((entry) => entry.env === env)
        .map((entry) => this.opened(entry, () => unopened.add(`${env}\u0000${entry.key}`)));
    const plan = planPromotion(entries(body.from), entries(body.to), body.keys);
    if (!plan.ok) {
      throw new ProblemException(
        422,
        `Not set in ${body.from} of ${slug}: ${plan.missing.join(', ')}`,
        {
          errors: plan.missing.map((key) => ({
            field: 'keys',
            message: `${key} is not set in ${body.from}`,
          })),
        },
      );
    }
    const unreadable = promotionWrites(plan.changes)
      .map((change) => change.key)
      .filter((key) => unopened.has(`${body.from}\u0000${key}`));
    if (unreadable.length > 0) {
      throw new ProblemException(
        422,
        `Secrets of ${body.from} that this Warden's key does not open cannot be promoted: ${unreadable.join(', ')}`,
      );
    }
    const summary = { added: 0, changed: 0, unchanged: 0, kept: 0 };
    for (const change of plan.changes) summary[change.change] += 1;
    const commands = promotionWrites(plan.changes).map((change) => ({
      key: change.key,
      type: 'config.set' as const,
      data: {
        slug,
        env: body.to,
        key: change.key,
        ...change.after,
        ...(body.reason !== undefined ? { reason: body.reason } : {}),
      },
      expectedVersion: change.before?.version ?? 0,
    }));
    const protection = await this.protection.protectionOf(commands);
    const report: PromotionReport = {
      slug,
      from: body.from,
      to: body.to,
      dryRun: body.dryRun === true,
      summary,
      changes: audienceOf(context.grant) === 'revealed' ? plan.changes : plan.changes.map(masked),
      ...(protection ? { protection: protectionSummary(protection) } : {}),
    };
    if (report.dryRun || commands.length === 0) return { report, settled: true };
    if (protection) {
      report.changeRequest = await this.requestChange(report, commands, body, context);
      return { report, settled: true };
    }
    report.writes = await this.publish(commands, context);
    const settled = report.writes.every((w) => w.status !== 'accepted');
    return { report, settled };
  }

  private opened(entry: ConfigEntryResource, failed: () => void): ConfigEntryResource {
    if (!entry.secret) return entry;
    const opened = isEncryptedValue(entry.value) ? this.cipher.open(entry.value) : undefined;
    if (opened?.ok) return { ...entry, value: opened.value };
    failed();
    return { ...entry, value: SECRET_MASK };
  }

  /**
   * The writes as one change request, which the protection rules' approvals gate; it
   * carries the same `expectedVersion`s, so a change made to the target meanwhile fails
   * the request when it is applied.
   */
  private requestChange(
    report: PromotionReport,
    commands: (ProposedChange & { key: string })[],
    body: PromoteConfigDto,
    context: WriteContext,
  ): Promise<ChangeRequest> {
    if (commands.length > MAX_CHANGES_PER_REQUEST) {
      throw new ProblemException(
        422,
        `${commands.length} keys to promote into protected ${body.to}: a change request holds at most ${MAX_CHANGES_PER_REQUEST}; promote them in parts with keys`,
      );
    }
    const keys = commands.map((c) => c.key);
    const title = `Promote ${report.slug} configuration from ${body.from} to ${body.to}`;
    return this.changeRequests.create(
      { actor: context.actor, grant: context.grant },
      {
        title,
        reason: body.reason ?? `${title}: ${keys.join(', ')}`.slice(0, 1000),
        changes: commands.map(({ type, data, expectedVersion }) => ({
          type,
          data,
          ...(expectedVersion !== undefined ? { expectedVersion } : {}),
        })),
      },
    );
  }

  /** One key after the other; a refusal by Kafka leaves the later keys unsent. */
  private async publish(
    commands: (ProposedChange & { key: string; expectedVersion: number })[],
    context: WriteContext,
  ): Promise<PromotionWrite[]> {
    const deadline =
      context.waitSeconds !== undefined ? Date.now() + context.waitSeconds * 1000 : undefined;
    const writes: PromotionWrite[] = [];
    for (const { key, type, data, expectedVersion } of commands) {
      if (writes.some((w) => w.status === 'not-accepted')) {
        writes.push({ key, status: 'not-accepted', reason: 'an earlier key was not accepted' });
        continue;
      }
      const remaining = deadline !== undefined ? (deadline - Date.now()) / 1000 : undefined;
      try {
        const submitted = await this.gateway.submit(
          {
            type,
            data,
            expectedVersion,
            actor: context.actor,
            grant: context.grant,
            requestId: context.requestId,
          },
          remaining !== undefined && remaining > 0 ? remaining : undefined,
        );
        const outcome = submitted.outcome;
        writes.push({
          key,
          eventId: submitted.eventId,
          status: outcome?.status ?? 'accepted',
          ...(outcome?.reason ? { reason: outcome.reason } : {}),
        });
      } catch (error) {
        // Nothing sent yet: the caller gets the refusal itself (403 out of scope, 503, …).
        if (writes.length === 0) throw error;
        writes.push({
          key,
          status: 'not-accepted',
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return writes;
  }
}

/** A change as a requester without the `secrets` scope sees it. */
function masked(change: PromotionChange): PromotionChange {
  const hide = <T extends { value: unknown; secret?: true }>(side: T): T =>
    side.secret ? { ...side, value: SECRET_MASK } : side;
  return {
    ...change,
    ...(change.before ? { before: hide(change.before) } : {}),
    after: hide(change.after),
  };
}

function protectionSummary(protection: Protection) {
  return {
    rules: protection.rules.map((rule) => rule.name),
    requiredApprovals: protection.approvals,
  };
}
