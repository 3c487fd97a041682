import { Injectable } from '@nestjs/common';
import type { ProposedChange } from '#domain/change-request.model';
import { ProtectionGate } from '../protection/protection-gate.service.js';

/** Approvals a request needs when no protection rule covers its changes. */
export const DEFAULT_REQUIRED_APPROVALS = 1;

/**
 * How many approvals a change request needs before it may be applied: the most that
 * any protection rule its changes match asks (by tier, environment and service of
 * what they touch), and one from someone other than its author otherwise.
 */
@Injectable()
export class RequiredApprovalsPolicy {
  constructor(private readonly protection: ProtectionGate) {}

  async requiredFor(changes: readonly ProposedChange[]): Promise<number> {
    const protection = await this.protection.protectionOf(changes);
    return protection ? protection.approvals : DEFAULT_REQUIRED_APPROVALS;
  }
}
