import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CreateChangeRequestDto, ReviewDto } from '#domain/change-request.dto';
import type { ChangeRequest } from '#domain/change-request.model';
import type { ViewDiff } from '#domain/change-request.diff';
import {
  ChangeRequestsService,
  type ChangeRequestPage,
  type Principal,
} from './change-requests.service.js';
import { ChangeRequestQueryDto } from './change-request-query.dto.js';
import { RequireRole } from '../auth/roles.decorator.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { ChangeRequestPath } from '../http/path-params.dto.js';
import { preferredWait } from '../http/preferences.js';
import { requestIdOf, writerOf } from '../http/request-context.js';
import { answerWrite } from '../writes/write-responder.js';
import { Writer } from '../writes/write-context.decorator.js';
import { Review } from './review.decorator.js';
import { ApiValidationProblem } from '../openapi/openapi.decorators.js';

/** A change request's ETag: it changes with every review and with its settlement. */
function etagOf(request: ChangeRequest): string {
  return `"cr${Date.parse(request.updatedAt)}.${request.approvals.length}"`;
}

@ApiTags('Change requests')
@Controller('v1/change-requests')
export class ChangeRequestsController {
  constructor(private readonly requests: ChangeRequestsService) {}

  @Post()
  @RequireRole('writer')
  @ApiOperation({
    summary: 'Propose a set of changes, to be reviewed and then applied all at once',
    description:
      "Each change is the `type` and `data` of an event of `governance.events` (with an optional `expectedVersion`), validated exactly as the worker validates that event (400 naming `changes[i].data.…`) and within the author's write scope (403). `applyAt` schedules the request: once approved, the worker applies it then.",
  })
  @ApiCreatedResponse({ description: 'The request, `pending` until it has its approvals' })
  @ApiValidationProblem()
  @ApiForbiddenResponse({ description: "A change lies outside the author's write scope" })
  async create(
    @Body() body: CreateChangeRequestDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChangeRequest> {
    const created = await this.requests.create(writerOf(request), body);
    void reply
      .status(201)
      .header('location', `/v1/change-requests/${created.id}`)
      .header('etag', etagOf(created));
    return created;
  }

  @Get()
  @ApiOperation({ summary: 'Change requests, newest first, by status and service; paged' })
  @ApiOkResponse({ description: '`{ items, nextCursor }`' })
  @ApiValidationProblem()
  list(@Query() query: ChangeRequestQueryDto): Promise<ChangeRequestPage> {
    return this.requests.page(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One change request' })
  @ApiOkResponse({ description: 'The request with its approvals and changes' })
  @ApiNotFoundResponse({ description: 'No such request' })
  async get(
    @Param() { id }: ChangeRequestPath,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChangeRequest> {
    const found = await this.requests.get(id);
    void reply.header('etag', etagOf(found)).header('cache-control', 'no-cache');
    return found;
  }

  @Get(':id/diff')
  @ApiOperation({
    summary:
      'For each service and environment the request touches, the effective view before and after',
    description:
      'Computed now, with the rules the worker applies, over the record as it is; nothing is written. `before`/`after` is null where the service does not exist. A request that would be refused if applied now answers 409 naming the change; an applied request answers 409 too (what it changed is in the audit, `GET /v1/audit?changeRequestId=`).',
  })
  @ApiOkResponse({ description: '`[{ slug, env, before, after }]`' })
  @ApiConflictResponse({ description: 'A change would be refused if applied now' })
  diff(@Param() { id }: ChangeRequestPath): Promise<ViewDiff[]> {
    return this.requests.diff(id);
  }

  @Review('approve')
  approve(@Param() { id }: ChangeRequestPath, @Body() body: ReviewDto, @Writer() by: Principal) {
    return this.requests.approve(by, id, body.comment);
  }

  @Review('reject')
  reject(@Param() { id }: ChangeRequestPath, @Body() body: ReviewDto, @Writer() by: Principal) {
    return this.requests.reject(by, id, body.comment);
  }

  @Review('cancel')
  cancel(@Param() { id }: ChangeRequestPath, @Body() body: ReviewDto, @Writer() by: Principal) {
    return this.requests.cancel(by, id, body.comment);
  }

  @Post(':id/apply')
  @RequireRole('writer')
  @ApiOperation({
    summary: 'Apply an approved request now: all its changes in one transaction, or none',
    description:
      "Publishes `change-request.applied` (202, `Location: /v1/events/{eventId}`); its id is derived from the request's, so applying twice, or racing the scheduler, applies once. Allowed before a scheduled `applyAt` too. The worker settles the request `applied`, or `failed` with the reason when any change is refused (a stale `expectedVersion`): then nothing of it is applied. With `Prefer: wait=N`: 200 with the applied request, or the refusal (409 for a version conflict, 404, 422).",
  })
  @ApiHeader({ name: 'Prefer', required: false, description: '`wait=N` (N ≤ 30 seconds)' })
  @ApiAcceptedResponse({ description: '`{ eventId, status: "accepted" }`' })
  @ApiOkResponse({ description: 'Applied (with `Prefer: wait`): the request as it is now' })
  @ApiConflictResponse({
    description: 'Not approved yet, already settled, or (with `Prefer: wait`) a change was refused',
  })
  async apply(
    @Param() { id }: ChangeRequestPath,
    @Body() _body: ReviewDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const wait = preferredWait(request.headers.prefer);
    const submitted = await this.requests.apply(writerOf(request), id, requestIdOf(request), wait);
    return answerWrite(reply, submitted, wait, {
      load: async () => {
        const settled = await this.requests.get(id);
        return { body: settled, etag: etagOf(settled) };
      },
    });
  }
}
