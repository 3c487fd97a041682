import { HttpCode, Post, applyDecorators } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { RequireRole } from '../auth/roles.decorator.js';

export type ReviewStep = 'approve' | 'reject' | 'cancel';

/** A review of a request: writers only, answered with the request as the review left it. */
export function Review(step: ReviewStep, summary: string, answer: string, forbidden: string) {
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
