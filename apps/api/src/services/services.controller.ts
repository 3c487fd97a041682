import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ListServicesQueryDto, RegisterServiceDto, UpdateServiceDto } from '#domain/service.dto';
import { ServicesService, type ServicePage } from './services.service.js';
import { CatalogCache } from '../read-model/catalog-cache.service.js';
import { EventGateway } from '../writes/event-gateway.service.js';
import { answerWrite } from '../writes/write-responder.js';
import { RequireRole } from '../auth/roles.decorator.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { SlugParam } from '../http/validation.js';
import { expectedVersion, preferredWait } from '../http/preferences.js';
import { writerOf, requestIdOf, sendDocument } from '../http/request-context.js';
import { ProblemException } from '../http/problem.js';

@Controller('v1/services')
export class ServicesController {
  constructor(
    private readonly services: ServicesService,
    private readonly cache: CatalogCache,
    private readonly gateway: EventGateway,
  ) {}

  @Post()
  @RequireRole('writer')
  async register(
    @Body() body: RegisterServiceDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('prefer') prefer?: string,
    @Headers('if-match') ifMatch?: string,
  ) {
    const wait = preferredWait(prefer);
    const submitted = await this.gateway.submit(
      {
        type: 'service.registered',
        data: { ...body },
        ...writerOf(request),
        expectedVersion: expectedVersion(ifMatch),
        requestId: requestIdOf(request),
      },
      wait,
    );
    return answerWrite(reply, submitted, wait, {
      created: true,
      load: () => this.services.loadFresh(body.slug),
    });
  }

  @Get()
  list(@Query() query: ListServicesQueryDto): Promise<ServicePage> {
    return this.services.list(query);
  }

  @Get(':slug')
  async get(
    @Param('slug', SlugParam) slug: string,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const document = await this.cache.service(slug);
    if (!document) throw new ProblemException(404, `Service ${slug} does not exist`);
    sendDocument(request, reply, document);
  }

  @Patch(':slug')
  @RequireRole('writer')
  async update(
    @Param('slug', SlugParam) slug: string,
    @Body() body: UpdateServiceDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('prefer') prefer?: string,
    @Headers('if-match') ifMatch?: string,
  ) {
    const wait = preferredWait(prefer);
    const submitted = await this.gateway.submit(
      {
        type: 'service.updated',
        data: { ...body, slug },
        ...writerOf(request),
        expectedVersion: expectedVersion(ifMatch),
        requestId: requestIdOf(request),
      },
      wait,
    );
    return answerWrite(reply, submitted, wait, { load: () => this.services.loadFresh(slug) });
  }

  @Delete(':slug')
  @RequireRole('writer')
  async remove(
    @Param('slug', SlugParam) slug: string,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('prefer') prefer?: string,
    @Headers('if-match') ifMatch?: string,
    @Body() body?: unknown,
  ) {
    const wait = preferredWait(prefer);
    const reason = (body as { reason?: unknown } | undefined)?.reason;
    const submitted = await this.gateway.submit(
      {
        type: 'service.deleted',
        data: { slug, ...(reason !== undefined ? { reason } : {}) },
        ...writerOf(request),
        expectedVersion: expectedVersion(ifMatch),
        requestId: requestIdOf(request),
      },
      wait,
    );
    return answerWrite(reply, submitted, wait, { deleted: true });
  }
}
