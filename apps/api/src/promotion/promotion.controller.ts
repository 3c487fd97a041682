import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../auth/roles.decorator.js';
import { ServicePath } from '../http/path-params.dto.js';
import { Write, type WriteContext } from '../writes/write-context.decorator.js';
import { PromoteConfigDto } from './promote.dto.js';
import { PromotionService, type PromotionReport } from './promotion.service.js';

@ApiTags('Configuration')
@Controller('v1/services/:slug/config/promote')
export class PromotionController {
  constructor(private readonly promotion: PromotionService) {}

  @Post()
  @RequireRole('writer')
  @ApiOperation({
    summary: 'Promote configuration from one environment of a service to another',
    description:
      'Answers the diff per key (`added`, `changed`, `unchanged`, `kept`: only the target has it; promotion never deletes). `dryRun` changes nothing (200). Otherwise one `config.set` per added or changed key (202 with the event ids; with `Prefer: wait=N`, 200 once all have an outcome), or, when the target is protected, a change request (201). Nothing to write: 200.',
  })
  promote(
    @Param() path: ServicePath,
    @Body() body: PromoteConfigDto,
    @Write() write: WriteContext,
  ) {
    return this.promotion.promote(path.slug, body, write).then((done) => answered(write, done));
  }
}

/** `201` for a change request, `200` once every write has an outcome or none was needed, else `202`. */
function answered(
  write: WriteContext,
  { report, settled }: { report: PromotionReport; settled: boolean },
): PromotionReport {
  if (report.changeRequest) {
    void write.reply
      .status(201)
      .header('location', `/v1/change-requests/${report.changeRequest.id}`);
  } else if (report.writes) {
    void write.reply.status(settled ? 200 : 202);
    if (write.waitSeconds !== undefined)
      void write.reply.header('preference-applied', `wait=${write.waitSeconds}`);
  } else {
    void write.reply.status(200);
  }
  return report;
}
