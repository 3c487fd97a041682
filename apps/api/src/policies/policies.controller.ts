import { Body, Controller, Delete, Get, Param, Put, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { SetDefaultPolicyDto, SetPolicyDto } from '#domain/policy.dto';
import { ReasonDto } from '#domain/service.dto';
import { ANY_ENV, ENV_PATTERN } from '#domain/policy.model';
import { PoliciesService } from './policies.service.js';
import { WritesService } from '../writes/writes.service.js';
import { Write, type WriteContext } from '../writes/write-context.decorator.js';
import { EventWrite } from '../writes/event-write.decorator.js';
import { PolicyTypePath, ServicePath, ServicePolicyPath } from '../http/path-params.dto.js';
import { sendDocument } from '../http/request-context.js';
import { ApiTaggedRead } from '../openapi/openapi.decorators.js';
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
  async defaults(@Res() reply: FastifyReply): Promise<void> {
    sendDocument(reply, await this.policies.defaults());
  }

  @Get('policies/:type')
  @ApiOperation({ summary: "One policy type's global default" })
  @ApiTaggedRead(DefaultPolicyResourceSchema, 'No default is set for the type')
  async defaultPolicy(
    @Param() { type }: PolicyTypePath,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendDocument(reply, await this.policies.defaultPolicy(type));
  }

  @Put('policies/:type')
  @EventWrite({
    summary: "Set a policy type's global default",
    description: 'Applies to every service and environment without an override of the type.',
    resource: DefaultPolicyResourceSchema,
    creates: 'first-version',
  })
  setDefault(
    @Param() path: PolicyTypePath,
    @Body() body: SetDefaultPolicyDto,
    @Write() write: WriteContext,
  ) {
    const policy = () => this.policies.loadDefault(path.type);
    return this.writes.submit(write, 'default-policy.set', { ...body, ...path }, policy);
  }

  @Get('services/:slug/policies')
  @ApiOperation({ summary: "The service's policy overrides, every environment" })
  @ApiTaggedRead(PolicyListSchema, 'The service does not exist')
  async list(@Param() { slug }: ServicePath, @Res() reply: FastifyReply): Promise<void> {
    sendDocument(reply, await this.policies.servicePolicies(slug));
  }

  @Put('services/:slug/policies/:type')
  @EventWrite({
    summary: 'Set a policy override of a service',
    description:
      '`env` `*` applies to every environment; a named environment overrides `*`. `spec` is checked against the type: errors name `spec.<field>`.',
    resource: PolicyResourceSchema,
    creates: 'first-version',
  })
  set(@Param() path: ServicePolicyPath, @Body() body: SetPolicyDto, @Write() write: WriteContext) {
    const policy = () => this.policies.loadPolicy(path.slug, path.type, body.env);
    return this.writes.submit(write, 'policy.set', { ...body, ...path }, policy);
  }

  @Delete('services/:slug/policies/:type')
  @ApiQuery({
    name: 'env',
    required: true,
    description: '`*` or the environment of the override to remove',
    schema: { type: 'string', pattern: POLICY_ENV_PATTERN },
  })
  @EventWrite({ summary: 'Remove a policy override of a service' })
  remove(
    @Param() path: ServicePolicyPath,
    @Query('env') env: string | undefined,
    @Body() body: ReasonDto,
    @Write() write: WriteContext,
  ) {
    return this.writes.submit(write, 'policy.removed', { ...body, ...path, env });
  }
}
