import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { writerOf } from '../http/request-context.js';

/** The name of the request's token: who an admin action is audited as. */
export const Actor = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string =>
    writerOf(context.switchToHttp().getRequest<AuthenticatedRequest>()).actor,
);
