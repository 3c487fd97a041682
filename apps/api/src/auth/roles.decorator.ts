import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { Role } from '#config/warden-config';

export const REQUIRED_ROLE = 'warden:required-role';
/** Where the OpenAPI document says which role an operation needs: the guard's own metadata. */
export const REQUIRED_ROLE_EXTENSION = 'x-required-role';

/**
 * The weakest role allowed: `reader` < `writer` < `admin`. Routes without it need `reader`.
 * On a handler it wins over the controller's.
 */
export const RequireRole = (role: Role | 'public') =>
  applyDecorators(SetMetadata(REQUIRED_ROLE, role), ApiExtension(REQUIRED_ROLE_EXTENSION, role));
export const Public = () => RequireRole('public');
