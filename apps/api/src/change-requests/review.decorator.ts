import { HttpCode, Post, applyDecorators } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { RequireRole } from '../auth/roles.decorator.js';

export type ReviewStep = 'approve' | 'reject' | 'cancel';

/** What each review answers, and whom it refuses. */
const REVIEWS: Record<ReviewStep, { summary: string; answer: string; forbidden: string }> = {
  approve: {
    summary: 'Approve: by anyone but the author; approving twice counts once',
    answer: 'The request, `approved` once it has its approvals',
    forbidden: 'The author approving their own request',
  },
  reject: {
    summary: 'Reject: by anyone but the author (who cancels instead)',
    answer: 'The request, `rejected`',
    forbidden: 'The author rejecting their own request',
  },
  cancel: {
    summary: 'Cancel: by the author or an admin',
    answer: 'The request, `cancelled`',
    forbidden: 'Neither the author nor an admin',
  },
};

/**
 * `POST /v1/change-requests/{id}/<step>`: writers only, answered with the request as the
 * review left it, or 409 once it is settled.
 */
export function Review(step: ReviewStep) {
  const { summary, answer, forbidden } = REVIEWS[step];
  return applyDecorators(
    Post(`:id/${step}`),
    RequireRole('writer'),
    HttpCode(200),
    ApiOperation({ summary }),
    ApiOkResponse({ description: answer }),
    ApiForbiddenResponse({ description: forbidden }),
    ApiConflictResponse({ description: 'The request is applied, rejected, cancelled or failed' }),
  );
}
