import { decideWriteScope, type WriteScope, type WriteTarget } from './write-scope.js';

const payments: WriteScope = { teams: ['payments'], admin: false };
const devOnly: WriteScope = { envs: ['dev'], admin: false };
const unscoped: WriteScope = { admin: false };

const target = (
  type: WriteTarget['type'],
  data: WriteTarget['data'],
  currentOwner?: string,
): WriteTarget => ({ type, data, currentOwner });

describe(decideWriteScope.name, () => {
  it.each<[string, WriteScope, WriteTarget, boolean | string]>([
    ['an unscoped writer writes anything', unscoped, target('default-policy.set', {}), true],
    [
      'a team registers its own service',
      payments,
      target('service.registered', { owner: 'payments' }),
      true,
    ],
    [
      'a team registers for another team',
      payments,
      target('service.registered', { owner: 'search' }),
      'team scope "search"',
    ],
    [
      'a team patches its service',
      payments,
      target('service.updated', { slug: 's' }, 'payments'),
      true,
    ],
    [
      'a team patches another team',
      payments,
      target('service.updated', { slug: 's' }, 'search'),
      'team scope "search"',
    ],
    [
      'a team hands its service away',
      payments,
      target('service.updated', { slug: 's', owner: 'search' }, 'payments'),
      'team scope "search"',
    ],
    [
      'a team writes config of its service',
      payments,
      target('config.set', { slug: 's', env: 'prod' }, 'payments'),
      true,
    ],
    [
      'a team writes policy of another team',
      payments,
      target('policy.set', { slug: 's', env: '*' }, 'search'),
      'team scope "search"',
    ],
    [
      'a team writes to a service that does not exist',
      payments,
      target('config.set', { slug: 's', env: 'dev' }),
      'does not exist',
    ],
    [
      'a team sets a global default',
      payments,
      target('default-policy.set', { type: 'quota' }),
      'unscoped',
    ],
    [
      'a scoped admin sets a global default',
      { ...payments, admin: true },
      target('default-policy.set', { type: 'quota' }),
      true,
    ],
    [
      'an env scope writes its env',
      devOnly,
      target('config.deleted', { slug: 's', env: 'dev' }, 'x'),
      true,
    ],
    [
      'an env scope writes prod',
      devOnly,
      target('config.set', { slug: 's', env: 'prod' }, 'x'),
      'environment scope "prod"',
    ],
    [
      'an env scope writes a policy for every env',
      devOnly,
      target('policy.removed', { slug: 's', env: '*' }, 'x'),
      'environment scope "*"',
    ],
    [
      'an env scope deletes a whole service',
      devOnly,
      target('service.deleted', { slug: 's' }, 'x'),
      'every environment',
    ],
  ])('%s', (_case, scope, write, expected) => {
    const decision = decideWriteScope(scope, write);
    if (expected === true) expect(decision).toEqual({ allowed: true });
    else expect(decision.allowed ? '' : decision.detail).toContain(expected);
  });
});
