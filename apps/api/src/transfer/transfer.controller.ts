import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ExportDocumentDto,
  ExportQueryDto,
  ImportDocumentDto,
  ImportQueryDto,
  ServiceDocumentDto,
} from './transfer.dto.js';
import { TransferService, type ImportReport } from './transfer.service.js';
import { RequireRole } from '../auth/roles.decorator.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { ServicePath } from '../http/path-params.dto.js';
import { preferredWait } from '../http/preferences.js';
import { writerOf, requestIdOf, sendDocument } from '../http/request-context.js';
import { ApiTaggedRead, ApiValidationProblem } from '../openapi/openapi.decorators.js';
import { ImportReportSchema } from '../openapi/response.schemas.js';

@ApiTags('Import and export')
@Controller('v1')
export class TransferController {
  constructor(private readonly transfer: TransferService) {}

  @Get('services/:slug/export')
  @ApiOperation({
    summary: 'The service, its policies and its configuration (every environment) as one document',
    description: 'The document is importable as is: wrap it as `{ "services": [ <document> ] }`.',
  })
  @ApiTaggedRead(ServiceDocumentDto, 'The service does not exist')
  async export(
    @Param() { slug }: ServicePath,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendDocument(reply, await this.transfer.exportService(slug, request.grant));
  }

  @Get('export')
  @ApiOperation({
    summary: 'Every service (or those of one `owner`, or with one `tag`) and the global defaults',
    description: 'What `POST /v1/import` takes back unchanged.',
  })
  @ApiOkResponse({ type: ExportDocumentDto })
  @ApiValidationProblem()
  async exportAll(
    @Query() query: ExportQueryDto,
    @Req() request: AuthenticatedRequest,
  ): Promise<ExportDocumentDto> {
    return this.transfer.exportAll(query, request.grant);
  }

  @Post('import')
  @RequireRole('writer')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create services or bring them to the state a document describes, as events',
    description:
      'Takes what `GET /v1/export` answers, or one service\'s export as is; `envMap` (`{"staging": "prod"}`) renames environments on the way in. Each service the document lists is registered or patched, and each policy and config entry it lists is set, unless already equal; what the document does not list stays as it is. The whole document is validated before anything is published. Each event expects the version the import saw, so a concurrent change makes it `rejected` rather than overwritten. `dryRun=true` answers the same report, with each changed service\'s export document before and after, and publishes nothing.',
  })
  @ApiHeader({
    name: 'Prefer',
    required: false,
    description: '`wait=N` (N ≤ 30 seconds): report each event as applied or rejected',
  })
  @ApiOkResponse({
    type: ImportReportSchema,
    description: 'A dry run, or every event has an outcome',
  })
  @ApiAcceptedResponse({
    type: ImportReportSchema,
    description: 'Published; some events still wait for the worker',
  })
  @ApiValidationProblem()
  @ApiServiceUnavailableResponse({ description: 'Kafka is unavailable: nothing was imported' })
  async import(
    @Body() document: ImportDocumentDto,
    @Query() query: ImportQueryDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('prefer') prefer?: string,
  ): Promise<ImportReport> {
    const wait = preferredWait(prefer);
    const dryRun = query.dryRun === 'true';
    const { report, settled } = await this.transfer.importDocument(document, {
      dryRun,
      waitSeconds: dryRun ? undefined : wait,
      ...writerOf(request),
      requestId: requestIdOf(request),
    });
    if (wait !== undefined && !dryRun) void reply.header('preference-applied', `wait=${wait}`);
    if (!settled) void reply.status(202);
    return report;
  }
}
