import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Role, TokenGrant } from '#config/warden-config';
import { REQUIRED_ROLE } from './roles.decorator.js';
import { AccessRegistry } from './access-registry.js';
import { ProblemException } from '../http/problem.js';

export type AuthenticatedRequest = FastifyRequest & { grant?: TokenGrant };

/** Bearer tokens (see AccessRegistry): none or unknown is a 401, too weak a 403. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const required =
      this.reflector.getAllAndOverride<Role | 'public' | undefined>(REQUIRED_ROLE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'reader';
    if (required === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const grant = this.access.identify(request.headers.authorization);
    if (!grant) {
      throw new ProblemException(401, 'A valid bearer token is required', {
        headers: { 'www-authenticate': 'Bearer realm="warden"' },
      });
    }
    if (!AccessRegistry.allows(grant, required)) {
      throw new ProblemException(
        403,
        `This operation needs the ${required} role; the token has ${grant.role}`,
      );
    }
    request.grant = grant;
    return true;
  }
}
