import { SetMetadata, applyDecorators, type Type } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { RequireRole } from '../auth/roles.decorator.js';
import { ApiEventWrite } from '../openapi/openapi.decorators.js';
import type { WriteAnswer } from './write-responder.js';

/** Where a handler's `creates` is kept for its write context. */
export const WRITE_CREATES = 'warden:write-creates';

export interface EventWriteOptions {
  summary: string;
  description?: string;
  /** What an applied write answers with `Prefer: wait`; without one, a removal's `204`. */
  resource?: Type<unknown>;
  /** When an applied write answers `201`: one setting for the answer and its documentation. */
  creates?: WriteAnswer['creates'];
}

/** A handler whose write becomes an event: for writers, documented as such. */
export const EventWrite = ({ summary, description, resource, creates }: EventWriteOptions) =>
  applyDecorators(
    RequireRole('writer'),
    SetMetadata(WRITE_CREATES, creates),
    ApiOperation({ summary, description }),
    ApiEventWrite({ resource, creates: creates !== undefined }),
  );
