import { Controller, Get, Query, Req } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditQueryDto } from './audit-query.dto.js';
import { AuditService, type AuditPage } from './audit.service.js';
import { ApiValidationProblem } from '../openapi/openapi.decorators.js';
import { AuditPageSchema } from '../openapi/response.schemas.js';

@ApiTags('Audit')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'Applied changes, newest first',
    description:
      "Each entry has the event, the actor (the token's name for API writes, the envelope's `actor` for outside producers), the times, the writer's `reason` and the state before and after. `since`/`until` filter on when the worker applied the change. Page with `limit` (≤ 200) and the `nextCursor` of the previous page.",
  })
  @ApiOkResponse({ type: AuditPageSchema })
  @ApiValidationProblem()
  list(@Query() query: AuditQueryDto, @Req() request: AuthenticatedRequest): Promise<AuditPage> {
    return this.audit.page(query, request.grant);
  }
}
