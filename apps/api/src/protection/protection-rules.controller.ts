import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PutProtectionRuleDto } from '#domain/protection.dto';
import { ReasonDto } from '#domain/service.dto';
import { AdminTargets } from '#domain/admin-action.model';
import type { StoredProtectionRule } from '#persistence/protection-rules.repository';
import { RequireRole } from '../auth/roles.decorator.js';
import { Actor } from '../admin-audit/actor.decorator.js';
import { AdminAuditService } from '../admin-audit/admin-audit.service.js';
import { ProblemException } from '../http/problem.js';
import { ProtectionRulePath } from '../http/path-params.dto.js';
import { ProtectionRulesStore } from './protection-rules.store.js';

/**
 * The admins' protection rules: which targets need a change request, and how many
 * approvals. Settings, not governance state: written to PostgreSQL directly (no event),
 * in force on every API instance as soon as it heard of the change, and audited as
 * admin actions.
 */
@ApiTags('Protection rules')
@Controller('v1/protection-rules')
@RequireRole('admin')
export class ProtectionRulesController {
  constructor(
    private readonly rules: ProtectionRulesStore,
    private readonly audit: AdminAuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every protection rule, by name' })
  async list(): Promise<{ items: readonly StoredProtectionRule[] }> {
    return { items: await this.rules.current() };
  }

  @Put(':name')
  @ApiOperation({
    summary: 'Create or replace a rule',
    description:
      '`match` names tiers, environments and services (each optional; a rule matches a change that reaches one of each it names); `approvals` (1–10) is what a change request touching it needs. 201 when created, 200 when replaced.',
  })
  async put(
    @Param() path: ProtectionRulePath,
    @Body() { match, approvals, reason }: PutProtectionRuleDto,
    @Actor() actor: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StoredProtectionRule> {
    const given = {
      ...(match.tiers ? { tiers: match.tiers } : {}),
      ...(match.envs ? { envs: match.envs } : {}),
      ...(match.services ? { services: match.services } : {}),
    };
    const { rule, created, before } = await this.rules.put(
      path.name,
      { match: given, approvals },
      actor,
    );
    await this.audit.record({
      type: 'admin.protection-rule.set',
      target: AdminTargets.protectionRule(path.name),
      actor,
      reason,
      ...(before ? { before: ruleOf(before) } : {}),
      after: ruleOf(rule),
    });
    void reply.status(created ? 201 : 200);
    return rule;
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a rule; `?reason=` is kept in the audit' })
  async remove(
    @Param() path: ProtectionRulePath,
    @Query() query: ReasonDto,
    @Actor() actor: string,
  ): Promise<void> {
    const removed = await this.rules.remove(path.name);
    if (!removed) throw new ProblemException(404, `There is no protection rule ${path.name}`);
    await this.audit.record({
      type: 'admin.protection-rule.deleted',
      target: AdminTargets.protectionRule(path.name),
      actor,
      reason: query.reason,
      before: ruleOf(removed),
    });
  }
}

const ruleOf = ({ name, match, approvals }: StoredProtectionRule) => ({ name, match, approvals });
