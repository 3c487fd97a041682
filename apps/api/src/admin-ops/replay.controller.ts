import { Body, Controller, Get, Headers, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ReplayRecord } from '#persistence/replay-log.repository';
import { isUuid } from '#domain/event.model';
import { RequireRole } from '../auth/roles.decorator.js';
import { Actor } from '../admin-audit/actor.decorator.js';
import { preferredWait } from '../http/preferences.js';
import { ProblemException } from '../http/problem.js';
import { validationFailed } from '../http/validation.js';
import { ReplayRequestDto } from './replay.dto.js';
import { ReplayService } from './replay.service.js';

@Controller('admin/replay')
@RequireRole('admin')
export class ReplayController {
  constructor(private readonly replays: ReplayService) {}

  /**
   * Starts a rebuild of the projections from the log: `202` with a `Location` to follow
   * it, or with `Prefer: wait=N` its result (`200`) if it ends within N seconds.
   */
  @Post()
  async start(
    @Body() body: ReplayRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Actor() actor: string,
    @Headers('prefer') prefer?: string,
  ): Promise<ReplayRecord> {
    const wait = preferredWait(prefer);
    const { record, finished } = await this.replays.start(new Date(body.from), {
      actor,
      reason: body.reason,
    });
    void reply.header('location', `/admin/replay/${record.id}`);
    if (wait !== undefined) {
      void reply.header('preference-applied', `wait=${wait}`);
      const timeout = new Promise<undefined>((r) =>
        setTimeout(() => r(undefined), wait * 1000).unref(),
      );
      const done = await Promise.race([finished, timeout]);
      if (done) {
        void reply.status(200);
        return done;
      }
    }
    void reply.status(202);
    return record;
  }

  @Get(':id')
  async find(@Param('id') id: string): Promise<ReplayRecord> {
    if (!isUuid(id)) throw validationFailed([{ field: 'id', message: 'id must be a UUID' }]);
    const record = await this.replays.find(id);
    if (!record) throw new ProblemException(404, `No replay ${id}`);
    return record;
  }
}
