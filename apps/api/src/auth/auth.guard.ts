import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { WARDEN_CONFIG } from '#config/config.constants';
import type { Role, TokenGrant, WardenConfig } from '#config/warden-config';
import { REQUIRED_ROLE } from './roles.decorator.js';
import { ProblemException } from '../http/problem.js';

const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

export type AuthenticatedRequest = FastifyRequest & { grant?: TokenGrant };

/** Bearer tokens from WARDEN_TOKENS: none or unknown is a 401, too weak a 403. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const required =
      this.reflector.getAllAndOverride<Role | 'public' | undefined>(REQUIRED_ROLE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'reader';
    if (required === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const grant = token ? this.config.tokens.get(token) : undefined;
    if (!grant) {
      throw new ProblemException(401, 'A valid bearer token is required', {
        headers: { 'www-authenticate': 'Bearer realm="warden"' },
      });
    }
    if (RANK[grant.role] < RANK[required]) {
      throw new ProblemException(
        403,
        `This operation needs the ${required} role; the token has ${grant.role}`,
      );
    }
    request.grant = grant;
    return true;
  }
}
