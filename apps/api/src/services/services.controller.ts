import { Body, Controller, Delete, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReasonDto, RegisterServiceDto, UpdateServiceDto } from '#domain/service.dto';
import { ListServicesQueryDto } from './list-services-query.dto.js';
import { ServicesService, type ServicePage } from './services.service.js';
import { CatalogCache } from '../read-model/catalog-cache.service.js';
import { WritesService } from '../writes/writes.service.js';
import { Write, type WriteContext } from '../writes/write-context.decorator.js';
import { EventWrite } from '../writes/event-write.decorator.js';
import { ServicePath } from '../http/path-params.dto.js';
import { sendDocument } from '../http/request-context.js';
import { ProblemException } from '../http/problem.js';
import { ApiTaggedRead, ApiValidationProblem } from '../openapi/openapi.decorators.js';
import { ServicePageSchema, ServiceResourceSchema } from '../openapi/response.schemas.js';

@Controller('v1/services')
export class ServicesController {
  constructor(
    private readonly services: ServicesService,
    private readonly cache: CatalogCache,
    private readonly writes: WritesService,
  ) {}

  @Post()
  @EventWrite({ summary: 'Register a service', resource: ServiceResourceSchema, creates: 'always' })
  register(@Body() body: RegisterServiceDto, @Write() write: WriteContext) {
    return this.writes.submit(write, 'service.registered', body, () =>
      this.services.loadFresh(body.slug),
    );
  }

  @Get()
  @ApiOperation({
    summary: 'List services, filtered, one page at a time (`limit` ≤ 200, opaque `cursor`)',
  })
  @ApiOkResponse({ type: ServicePageSchema })
  @ApiValidationProblem()
  list(@Query() query: ListServicesQueryDto): Promise<ServicePage> {
    return this.services.list(query);
  }

  @Get(':slug')
  @ApiOperation({ summary: 'One service' })
  @ApiTaggedRead(ServiceResourceSchema, 'The service does not exist')
  async get(@Param() { slug }: ServicePath, @Res() reply: FastifyReply): Promise<void> {
    const document = await this.cache.service(slug);
    if (!document) throw new ProblemException(404, `Service ${slug} does not exist`);
    sendDocument(reply, document);
  }

  @Patch(':slug')
  @EventWrite({
    summary: 'Change a service with a JSON merge patch',
    description: '`null` removes `description`, `tags` or `links`; `slug` cannot change.',
    resource: ServiceResourceSchema,
  })
  update(@Param() path: ServicePath, @Body() body: UpdateServiceDto, @Write() write: WriteContext) {
    const service = () => this.services.loadFresh(path.slug);
    return this.writes.submit(write, 'service.updated', { ...body, ...path }, service);
  }

  @Delete(':slug')
  @EventWrite({ summary: 'Remove a service with its policies and configuration' })
  remove(@Param() path: ServicePath, @Body() body: ReasonDto, @Write() write: WriteContext) {
    return this.writes.submit(write, 'service.deleted', { ...body, ...path });
  }
}
