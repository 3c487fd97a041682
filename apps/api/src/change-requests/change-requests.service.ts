import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { TokenGrant } from '#config/warden-config';
import { ChangeRequestRepository } from '#persistence/change-request.repository';
import { applyEventIdOf } from '#persistence/derived-ids';
import type {
  ChangeRequest,
  ChangeRequestStatus,
  ProposedChange,
} from '#domain/change-request.model';
import { changeRequestAppliedEnvelope } from '#domain/change-request.events';
import {
  approve,
  cancel,
  mayApply,
  reject,
  type ReviewDecision,
  type Reviewer,
} from '#domain/change-request.rules';
import { diffChangeRequest, previewEvents, type ViewDiff } from '#domain/change-request.diff';
import { validateChanges } from '#domain/event-validation';
import { EventGateway, type SubmittedWrite } from '../writes/event-gateway.service.js';
import { WriteAuthorizer } from '../writes/write-authorizer.service.js';
import { ProblemException } from '../http/problem.js';
import { validationFailed } from '../http/validation.js';
import { decodeBeforeCursor, encodeBeforeCursor } from '../http/paging.js';
import { RequiredApprovalsPolicy } from './required-approvals.policy.js';
import { EnvelopeSealer } from '../writes/envelope-sealer.js';
import { SECRET_MASK } from '#domain/secret-value';

/** Who acts: a token's name and its grant (role, teams, environments). */
export interface Principal {
  actor: string;
  grant: TokenGrant;
}

export interface NewChangeRequest {
  title: string;
  reason: string;
  changes: ProposedChange[];
  /** ISO 8601; once approved, the worker applies the request at this time. */
  applyAt?: string;
}

export interface ChangeRequestPage {
  items: ChangeRequest[];
  nextCursor: string | null;
}

const DEFAULT_LIMIT = 50;

/**
 * Change requests: a set of changes reviewed before it is applied, all at once, by the
 * worker. The state machine is libs/domain's (change-request.rules.ts); this service
 * loads, checks scopes, stores and publishes.
 */
@Injectable()
export class ChangeRequestsService {
  constructor(
    private readonly requests: ChangeRequestRepository,
    private readonly authorizer: WriteAuthorizer,
    private readonly gateway: EventGateway,
    private readonly approvals: RequiredApprovalsPolicy,
    private readonly sealer: EnvelopeSealer,
  ) {}

  /**
   * Records a new request, `pending` (or `approved` when it needs no approval). Each
   * change is validated exactly as the worker validates an event of its type (400
   * naming `changes[i].data.…`) and must lie within the author's write scope (403).
   */
  async create(author: Principal, proposal: NewChangeRequest): Promise<ChangeRequest> {
    const changes = proposal.changes.map(({ type, data, expectedVersion }) =>
      expectedVersion === undefined ? { type, data } : { type, data, expectedVersion },
    );
    const errors = validateChanges(changes);
    if (errors.length > 0) throw validationFailed(errors);
    await this.authorizeAll(author.grant, changes);
    const requiredApprovals = await this.approvals.requiredFor(changes);
    const now = new Date().toISOString();
    // A secret is kept encrypted from the start: in the request as in the event that applies it.
    const sealed = changes.map((change) => ({
      ...change,
      data: this.sealer.sealed(change.type, change.data),
    }));
    const created = await this.requests.create({
      id: randomUUID(),
      title: proposal.title,
      reason: proposal.reason,
      status: requiredApprovals > 0 ? 'pending' : 'approved',
      requiredApprovals,
      approvals: [],
      changes: sealed,
      author: author.actor,
      createdAt: now,
      updatedAt: now,
      ...(proposal.applyAt !== undefined
        ? { applyAt: new Date(proposal.applyAt).toISOString() }
        : {}),
    });
    return shown(created);
  }

  async get(id: string): Promise<ChangeRequest> {
    return shown(await this.stored(id));
  }

  private async stored(id: string): Promise<ChangeRequest> {
    const request = await this.requests.find(id);
    if (!request) throw new ProblemException(404, `No change request ${id}`);
    return request;
  }

  async page(query: {
    status?: ChangeRequestStatus;
    service?: string;
    limit?: number;
    cursor?: string;
  }): Promise<ChangeRequestPage> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const rows = await this.requests.page({
      status: query.status,
      service: query.service,
      before: query.cursor !== undefined ? decodeBeforeCursor(query.cursor) : undefined,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? encodeBeforeCursor(page[page.length - 1].seq) : null;
    return { items: page.map(({ seq: _seq, ...request }) => shown(request)), nextCursor };
  }

  /** The effective views before and after, computed with the worker's rules; nothing is written. */
  async diff(id: string): Promise<ViewDiff[]> {
    const request = await this.stored(id);
    // Its changes are in the record now: applying them again is not what it did.
    if (request.status === 'applied') {
      throw new ProblemException(
        409,
        `Change request ${id} is applied: what it changed is in the audit (GET /v1/audit?changeRequestId=${id})`,
      );
    }
    const at = new Date().toISOString();
    const record = await this.requests.currentRecord(previewEvents(request.changes, at));
    const result = diffChangeRequest(record, request.changes, at);
    if (result.ok) return result.diff;
    throw new ProblemException(
      409,
      `Applied now, change ${result.index} would be refused: ${result.rejection.message}`,
      { errors: [{ field: `changes[${result.index}]`, message: result.rejection.message }] },
    );
  }

  /** Approving needs write scope over every change, as writing them would; protection rules are what the request answers. */
  async approve(by: Principal, id: string, comment?: string): Promise<ChangeRequest> {
    const request = await this.stored(id);
    await this.authorizeAll(by.grant, request.changes);
    return this.review(id, (current) =>
      approve(current, reviewerOf(by), new Date().toISOString(), comment),
    );
  }

  async reject(by: Principal, id: string, comment?: string): Promise<ChangeRequest> {
    return this.review(id, (current) =>
      reject(current, reviewerOf(by), new Date().toISOString(), comment),
    );
  }

  async cancel(by: Principal, id: string, comment?: string): Promise<ChangeRequest> {
    return this.review(id, (current) =>
      cancel(current, reviewerOf(by), new Date().toISOString(), comment),
    );
  }

  /**
   * Publishes the request's `change-request.applied` (its id derived from the
   * request's, so an apply repeated, or racing the scheduler, is one event). Allowed
   * once approved, also before a scheduled `applyAt`: an explicit apply overrides the
   * schedule. The worker settles the request `applied` or `failed`.
   */
  async apply(
    by: Principal,
    id: string,
    requestId: string,
    waitSeconds?: number,
  ): Promise<SubmittedWrite> {
    const request = await this.stored(id);
    refuseUnless(mayApply(request));
    await this.authorizeAll(by.grant, request.changes);
    const submitted = await this.gateway.publish(
      changeRequestAppliedEnvelope(request, {
        id: applyEventIdOf(request.id),
        actor: by.actor,
        occurredAt: new Date().toISOString(),
      }),
      requestId,
      waitSeconds,
    );
    await this.requests.markApplyQueued(id, new Date());
    return submitted;
  }

  private async review(
    id: string,
    decide: (request: ChangeRequest) => ReviewDecision,
  ): Promise<ChangeRequest> {
    const decision = await this.requests.review(id, decide);
    if (!decision) throw new ProblemException(404, `No change request ${id}`);
    return shown(refuseUnless(decision));
  }

  private async authorizeAll(grant: TokenGrant, changes: readonly ProposedChange[]): Promise<void> {
    for (const [index, change] of changes.entries()) {
      try {
        await this.authorizer.authorizeScope(grant, change.type, change.data);
      } catch (error) {
        if (!(error instanceof ProblemException)) throw error;
        const { status, detail, type } = error.problem;
        throw new ProblemException(status, `changes[${index}]: ${detail ?? ''}`, { type });
      }
    }
  }
}

/** The request as readers see it: a secret's encrypted value reads as the mask. */
function shown(request: ChangeRequest): ChangeRequest {
  if (!request.changes.some((c) => c.data.encryptedValue !== undefined)) return request;
  const changes = request.changes.map((change) => {
    if (change.data.encryptedValue === undefined) return change;
    const { encryptedValue: _sealed, ...data } = change.data;
    return { ...change, data: { ...data, value: SECRET_MASK } };
  });
  return { ...request, changes };
}

function reviewerOf(principal: Principal): Reviewer {
  return { actor: principal.actor, admin: principal.grant.role === 'admin' };
}

function refuseUnless(decision: ReviewDecision): ChangeRequest {
  if (decision.ok) return decision.request;
  throw new ProblemException(decision.code === 'forbidden' ? 403 : 409, decision.message);
}
