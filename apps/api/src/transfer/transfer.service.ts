import type { TokenGrant } from '#config/warden-config';
import { Inject, Injectable } from '@nestjs/common';
import { SECRET_CIPHER } from '#config/config.constants';
import type { SecretCipher } from '#config/secret-cipher';
import { isMasked, shownValue, type SecretOpener } from '#domain/secret-value';
import type { FieldError } from '#domain/validation';
import { openerFor } from '../auth/secret-readers.js';
import { GovernanceRepository, type ServiceHoldings } from '#persistence/governance.repository';
import type { EventStatus } from '#domain/event.model';
import {
  planImport,
  type ImportAction,
  type ImportCommand,
  type PlannedChange,
} from './import-plan.js';
import { aggregateOfData } from '#domain/event-validation';
import type {
  ExportDocumentDto,
  ExportQueryDto,
  ImportDocumentDto,
  ServiceDocumentDto,
} from './transfer.dto.js';
import {
  nameFieldAsSent,
  serviceDiffs,
  toImportRequest,
  type ServiceDiff,
} from './import-document.js';
import { EventGateway } from '../writes/event-gateway.service.js';
import { ProtectionGate } from '../protection/protection-gate.service.js';
import { ProblemException } from '../http/problem.js';
import { validationFailed } from '../http/validation.js';
import type { TaggedDocument } from '../policies/policies.service.js';

export interface ImportOptions {
  dryRun: boolean;
  /** `Prefer: wait`: the whole import's budget for the worker's outcomes, in seconds. */
  waitSeconds?: number;
  actor: string;
  grant: TokenGrant;
  requestId: string;
}

export interface ReportedChange extends Omit<PlannedChange, 'command'> {
  eventId?: string;
  /** What became of the event; `not-accepted` when Kafka refused it. */
  status?: EventStatus | 'not-accepted';
  reason?: string;
}

export interface ImportReport {
  dryRun: boolean;
  summary: Record<ImportAction, number>;
  changes: ReportedChange[];
  /** Each service the import changes, its export document before and after (dry runs). */
  services?: ServiceDiff[];
}

/**
 * Export of one service, and import of many as ordinary events. An export shows secrets
 * as every other read does (`"***"` without the `secrets` scope); an import refuses a
 * masked secret rather than overwrite a value with the mask.
 */
@Injectable()
export class TransferService {
  constructor(
    private readonly governance: GovernanceRepository,
    private readonly gateway: EventGateway,
    private readonly protection: ProtectionGate,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
  ) {}

  async exportService(slug: string, reader?: TokenGrant): Promise<TaggedDocument> {
    const holdings = (await this.governance.serviceHoldings([slug])).get(slug);
    if (!holdings) throw new ProblemException(404, `Service ${slug} does not exist`);
    return {
      json: JSON.stringify(toServiceDocument(holdings, openerFor(reader, this.cipher))),
      etag: `"r${holdings.revision}"`,
      stale: false,
    };
  }

  /** Every service (or those of one owner, or with one tag) and the global defaults. */
  async exportAll(filter: ExportQueryDto, reader?: TokenGrant): Promise<ExportDocumentDto> {
    const open = openerFor(reader, this.cipher);
    const slugs = await this.governance.serviceSlugs(filter);
    const [holdings, defaults] = await Promise.all([
      this.governance.serviceHoldings(slugs),
      this.governance.defaultPolicies(),
    ]);
    return {
      services: slugs.flatMap((slug) => {
        const found = holdings.get(slug);
        return found ? [toServiceDocument(found, open)] : [];
      }),
      defaults: defaults.items.map(({ type, enabled, spec }) => ({ type, enabled, spec })),
    };
  }

  /**
   * Plans the whole document first, so a document with one bad field publishes nothing.
   * Then publishes each aggregate's events in order (a service before its policies),
   * aggregates side by side. `settled` says whether every event has an outcome.
   */
  async importDocument(
    document: ImportDocumentDto,
    options: ImportOptions,
  ): Promise<{ report: ImportReport; settled: boolean }> {
    const shaped = toImportRequest(document);
    if (!shaped.ok) throw validationFailed(shaped.errors);
    const { request } = shaped;
    const masked = maskedSecrets(request.services).map((e) => nameFieldAsSent(request, e));
    if (masked.length > 0) {
      throw new ProblemException(
        422,
        'The document holds masked secrets ("***"): export with a token that has the secrets scope, or leave those entries out',
        { errors: masked, type: 'https://warden.dev/problems/masked-secret' },
      );
    }
    const slugs = request.services.map((s) => s.service.slug);
    const [services, defaults] = await Promise.all([
      this.governance.serviceHoldings(slugs),
      this.governance.defaultPolicies(),
    ]);
    // The plan compares plaintexts: a secret sent again unchanged is `unchanged`.
    const plan = planImport(request, {
      services: opened(services, this.cipher.open),
      defaults: defaults.items,
    });
    if (plan.errors.length > 0)
      throw validationFailed(plan.errors.map((e) => nameFieldAsSent(request, e)));

    const changes: ReportedChange[] = plan.changes.map(
      ({ command: _command, ...change }) => change,
    );
    const summary: Record<ImportAction, number> = { create: 0, update: 0, unchanged: 0 };
    for (const change of changes) summary[change.action] += 1;
    if (options.dryRun) {
      const changed = new Set(
        changes.flatMap((c) => (c.action !== 'unchanged' && c.slug ? [c.slug] : [])),
      );
      const open = openerFor(options.grant, this.cipher);
      const diffs = serviceDiffs(request, services, (h) => toServiceDocument(h, open), changed);
      return { report: { dryRun: true, summary, changes, services: diffs }, settled: true };
    }

    // A document that touches a protected target publishes nothing: no half import.
    await this.protection.admitDirect(
      plan.changes.flatMap(({ command }) => (command ? [command] : [])),
    );
    const deadline =
      options.waitSeconds !== undefined ? Date.now() + options.waitSeconds * 1000 : undefined;
    // One chain per aggregate: its events go out in order, each after the previous one.
    const chains = new Map<string, { report: ReportedChange; command: ImportCommand }[]>();
    plan.changes.forEach(({ command }, index) => {
      if (!command) return;
      const aggregate = aggregateOfData(command.type, command.data);
      chains.set(aggregate, [
        ...(chains.get(aggregate) ?? []),
        { report: changes[index], command },
      ]);
    });
    await Promise.all(
      [...chains.values()].map(async (chain) => {
        for (const { report, command } of chain) {
          const remaining = deadline !== undefined ? (deadline - Date.now()) / 1000 : undefined;
          try {
            const submitted = await this.gateway.submit(
              {
                ...command,
                actor: options.actor,
                grant: options.grant,
                requestId: options.requestId,
              },
              remaining !== undefined && remaining > 0 ? remaining : undefined,
            );
            const outcome = submitted.outcome;
            Object.assign(report, {
              eventId: submitted.eventId,
              status: outcome?.status ?? 'accepted',
              ...(outcome?.reason ? { reason: outcome.reason } : {}),
            });
          } catch (error) {
            // Kafka refused: the aggregate's later events would depend on this one.
            report.status = 'not-accepted';
            report.reason = error instanceof Error ? error.message : String(error);
            return;
          }
        }
      }),
    );
    const submitted = changes.filter((c) => c.status !== undefined);
    if (submitted.length > 0 && submitted.every((c) => c.status === 'not-accepted')) {
      throw new ProblemException(
        503,
        'The event log is unavailable; nothing was imported. Retry later.',
        {
          headers: { 'retry-after': '5' },
        },
      );
    }
    const settled = submitted.every((c) => c.status !== 'accepted' && c.status !== 'not-accepted');
    return { report: { dryRun: false, summary, changes }, settled };
  }
}

/**
 * The export document: the service's fields, its policies and every environment's config,
 * secrets opened with `open` or masked.
 */
export function toServiceDocument(
  holdings: ServiceHoldings,
  open?: SecretOpener,
): ServiceDocumentDto {
  const { version: _v, createdAt: _c, updatedAt: _u, ...service } = holdings.service;
  return {
    service,
    policies: holdings.policies.map(({ type, env, enabled, spec }) => ({
      type,
      env,
      enabled,
      spec,
    })),
    config: holdings.config.map((entry) => ({
      env: entry.env,
      key: entry.key,
      value: shownValue(entry, open),
      ...(entry.description !== undefined ? { description: entry.description } : {}),
      ...(entry.secret ? { secret: true } : {}),
    })),
  };
}

/** Every config entry of the document that is a secret exported without the scope. */
function maskedSecrets(services: readonly ServiceDocumentDto[]): FieldError[] {
  return services.flatMap((item, s) =>
    (item.config ?? []).flatMap((entry, c) =>
      isMasked(entry)
        ? [
            {
              field: `services.${s}.config.${c}.value`,
              message: 'a masked secret cannot be imported',
            },
          ]
        : [],
    ),
  );
}

/** The holdings with each secret's plaintext where it opens (for comparison only). */
function opened(
  services: ReadonlyMap<string, ServiceHoldings>,
  open: SecretOpener,
): Map<string, ServiceHoldings> {
  const out = new Map<string, ServiceHoldings>();
  for (const [slug, holdings] of services) {
    const config = holdings.config.map((entry) =>
      entry.secret ? { ...entry, value: shownValue(entry, open) } : entry,
    );
    out.set(slug, { ...holdings, config });
  }
  return out;
}
