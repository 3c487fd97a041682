import { SetMetadata } from '@nestjs/common';
import type { Role } from '#config/warden-config';

export const REQUIRED_ROLE = 'warden:required-role';

/** The weakest role allowed: `reader` < `writer` < `admin`. Routes without it need `reader`. */
export const RequireRole = (role: Role | 'public') => SetMetadata(REQUIRED_ROLE, role);
export const Public = () => RequireRole('public');
