import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ReasonDto } from '#domain/service.dto';
import { RequireRole } from '../auth/roles.decorator.js';
import { Actor } from '../admin-audit/actor.decorator.js';
import { DeadLetterIdParam } from './dead-letter-id.pipe.js';
import { DeadLetterPageQueryDto } from './dead-letters.dto.js';
import { DeadLettersService } from './dead-letters.service.js';

const DEFAULT_PAGE = 50;

@Controller('admin/dlq')
@RequireRole('admin')
export class AdminDlqController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  /** Newest first, with the reason and where the message sat in the log. */
  @Get()
  list(@Query() query: DeadLetterPageQueryDto) {
    return this.deadLetters.page(query.limit ?? DEFAULT_PAGE, query.cursor);
  }

  /** Sends the original message back to `governance.events`; `202`: the worker decides again. */
  @Post(':id/redrive')
  @HttpCode(202)
  redrive(
    @Param('id', DeadLetterIdParam) id: number,
    @Body() body: ReasonDto,
    @Actor() actor: string,
  ) {
    return this.deadLetters.redrive(id, { actor, reason: body.reason });
  }

  /** Drops the letter; the audit keeps what it was, and the `?reason=` given. */
  @Delete(':id')
  @HttpCode(204)
  async remove(
    @Param('id', DeadLetterIdParam) id: number,
    @Query() query: ReasonDto,
    @Actor() actor: string,
  ): Promise<void> {
    await this.deadLetters.remove(id, { actor, reason: query.reason });
  }
}
