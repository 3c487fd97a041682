import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  Param,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { SetDefaultPolicyDto, SetPolicyDto } from '#domain/policy.dto';
import { ReasonDto } from '#domain/service.dto';
import { ANY_ENV, ENV_PATTERN, type PolicyType } from '#domain/policy.model';
import { PoliciesService } from './policies.service.js';
import { EventGateway } from '../writes/event-gateway.service.js';
import { answerWrite } from '../writes/write-responder.js';
import { RequireRole } from '../auth/roles.decorator.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { PolicyTypeParam, SlugParam } from '../http/validation.js';
import { expectedVersion, preferredWait } from '../http/preferences.js';
import { writerOf, requestIdOf, sendDocument } from '../http/request-context.js';
import { ApiEventWrite, ApiTaggedRead } from '../openapi/openapi.decorators.js';
import {
  DefaultPolicyListSchema,
  DefaultPolicyResourceSchema,
  PolicyListSchema,
  PolicyResourceSchema,
} from '../openapi/response.schemas.js';

const POLICY_ENV_PATTERN = `^(\\${ANY_ENV}|${ENV_PATTERN.source.slice(1, -1)})$`;

/** Global defaults per policy type and each service's overrides, `*` or per environment. */
@ApiTags('Policies')
@Controller('v1')
export class PoliciesController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly gateway: EventGateway,
  ) {}

  @Get('policies')
  @ApiOperation({ summary: 'The global default of every policy type that has one' })
  @ApiTaggedRead(DefaultPolicyListSchema)
  async defaults(@Req() request: AuthenticatedRequest, @Res() reply: FastifyReply): Promise<void> {
    sendDocument(request, reply, await this.policies.defaults());
  }

  @Get('policies/:type')
  @ApiOperation({ summary: "One policy type's global default" })
  @ApiTaggedRead(DefaultPolicyResourceSchema, 'No default is set for the type')
  async defaultPolicy(
    @Param('type', PolicyTypeParam) type: PolicyType,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendDocument(request, reply, await this.policies.defaultPolicy(type));
  }

  @Put('policies/:type')
  @RequireRole('writer')
  @ApiOperation({
    summary: "Set a policy type's global default",
    description: 'Applies to every service and environment without an override of the type.',
  })
  @ApiEventWrite({ resource: DefaultPolicyResourceSchema, creates: true })
  async setDefault(
    @Param('type', PolicyTypeParam) type: PolicyType,
    @Body() body: SetDefaultPolicyDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('prefer') prefer?: string,
    @Headers('if-match') ifMatch?: string,
  ) {
    const wait = preferredWait(prefer);
    const submitted = await this.gateway.submit(
      {
        type: 'default-policy.set',
        data: { ...body, type },
        ...writerOf(request),
        expectedVersion: expectedVersion(ifMatch),
        requestId: requestIdOf(request),
      },
      wait,
    );
    return answerWrite(reply, submitted, wait, {
      created: submitted.outcome?.version === 1,
      load: () => this.policies.loadDefault(type),
    });
  }

  @Get('services/:slug/policies')
  @ApiOperation({ summary: "The service's policy overrides, every environment" })
  @ApiTaggedRead(PolicyListSchema, 'The service does not exist')
  async list(
    @Param('slug', SlugParam) slug: string,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendDocument(request, reply, await this.policies.servicePolicies(slug));
  }

  @Put('services/:slug/policies/:type')
  @RequireRole('writer')
  @ApiOperation({
    summary: 'Set a policy override of a service',
    description:
      '`env` `*` applies to every environment; a named environment overrides `*`. `spec` is checked against the type: errors name `spec.<field>`.',
  })
  @ApiEventWrite({ resource: PolicyResourceSchema, creates: true })
  async set(
    @Param('slug', SlugParam) slug: string,
    @Param('type', PolicyTypeParam) type: PolicyType,
    @Body() body: SetPolicyDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('prefer') prefer?: string,
    @Headers('if-match') ifMatch?: string,
  ) {
    const wait = preferredWait(prefer);
    const submitted = await this.gateway.submit(
      {
        type: 'policy.set',
        data: { ...body, slug, type },
        ...writerOf(request),
        expectedVersion: expectedVersion(ifMatch),
        requestId: requestIdOf(request),
      },
      wait,
    );
    return answerWrite(reply, submitted, wait, {
      created: submitted.outcome?.version === 1,
      load: () => this.policies.loadPolicy(slug, type, body.env),
    });
  }

  @Delete('services/:slug/policies/:type')
  @RequireRole('writer')
  @ApiOperation({ summary: 'Remove a policy override of a service' })
  @ApiQuery({
    name: 'env',
    required: true,
    description: '`*` or the environment of the override to remove',
    schema: { type: 'string', pattern: POLICY_ENV_PATTERN },
  })
  @ApiBody({
    type: ReasonDto,
    required: false,
    description: 'An optional change message for the audit',
  })
  @ApiEventWrite({ removes: true })
  async remove(
    @Param('slug', SlugParam) slug: string,
    @Param('type', PolicyTypeParam) type: PolicyType,
    @Query('env') env: string | undefined,
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
        type: 'policy.removed',
        data: { slug, type, env, ...(reason !== undefined ? { reason } : {}) },
        ...writerOf(request),
        expectedVersion: expectedVersion(ifMatch),
        requestId: requestIdOf(request),
      },
      wait,
    );
    return answerWrite(reply, submitted, wait, { deleted: true });
  }
}
