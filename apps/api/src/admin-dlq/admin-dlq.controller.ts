import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { RequireRole } from '../auth/roles.decorator.js';
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
  redrive(@Param('id', DeadLetterIdParam) id: number) {
    return this.deadLetters.redrive(id);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', DeadLetterIdParam) id: number): Promise<void> {
    await this.deadLetters.remove(id);
  }
}
