import { Injectable } from '@nestjs/common';
import type { ProposedChange } from '#domain/change-request.model';

/**
 * How many approvals a change request needs before it may be applied. The seam where
 * protection rules decide (by tier, environment and service of what the changes touch);
 * until they do, every request needs one approval from someone other than its author.
 */
@Injectable()
export class RequiredApprovalsPolicy {
  async requiredFor(_changes: readonly ProposedChange[]): Promise<number> {
    return 1;
  }
}
