import { Body, Controller, Delete, Get, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RemovePolicyDto, SetDefaultPolicyDto, SetPolicyDto } from '#domain/policy.dto';
import { ANY_ENV, ENV_PATTERN, type PolicyType } from '#domain/policy.model';
import { PoliciesService } from './policies.service.js';
import { WritesService } from '../writes/writes.service.js';
import { WriteContext } from '../writes/write-context.decorator.js';
import { RequireRole } from '../auth/roles.decorator.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { PolicyTypeParam, SlugParam } from '../http/validation.js';
import { sendDocument } from '../http/request-context.js';
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
    private readonly writes: WritesService,
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
  setDefault(
    @Param('type', PolicyTypeParam) type: PolicyType,
    @Body() body: SetDefaultPolicyDto,
    @WriteContext() write: WriteContext,
  ) {
    return this.writes.submit(
      write,
      'default-policy.set',
      { ...body, type },
      {
        creates: 'first-version',
        load: () => this.policies.loadDefault(type),
      },
    );
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
  set(
    @Param('slug', SlugParam) slug: string,
    @Param('type', PolicyTypeParam) type: PolicyType,
    @Body() body: SetPolicyDto,
    @WriteContext() write: WriteContext,
  ) {
    return this.writes.submit(
      write,
      'policy.set',
      { ...body, slug, type },
      {
        creates: 'first-version',
        load: () => this.policies.loadPolicy(slug, type, body.env),
      },
    );
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
  @ApiEventWrite({ removes: true })
  remove(
    @Param('slug', SlugParam) slug: string,
    @Param('type', PolicyTypeParam) type: PolicyType,
    @Query('env') env: string | undefined,
    @Body() body: RemovePolicyDto,
    @WriteContext() write: WriteContext,
  ) {
    return this.writes.submit(write, 'policy.removed', { ...body, slug, type, env });
  }
}
