import { enc } from '../api.js';
import { h, json, select } from '../dom.js';
import { FieldErrors, parseJsonInput } from '../form.js';
import { act, load, section, statusLine, table, type PageContext } from '../page.js';
import { may } from '../session.js';

export const POLICY_TYPES = ['rate-limit', 'quota', 'access', 'circuit-breaker'];

export const EXAMPLE_SPECS: Record<string, unknown> = {
  'rate-limit': { requestsPerSecond: 100, burst: 20 },
  quota: { limit: 10000, period: 'day' },
  access: { allow: [], deny: [] },
  'circuit-breaker': { errorRatePercent: 50, windowSeconds: 30, cooldownSeconds: 60 },
};

export interface PolicyRecord {
  type: string;
  env?: string;
  enabled: boolean;
  spec: unknown;
}

/** `global`, `*` or an environment name. */
export type Level = string;

export interface LevelRow {
  level: Level;
  policy?: PolicyRecord;
  wins: boolean;
}

/**
 * The levels of one policy type for one environment, most specific first. The most
 * specific level present decides alone (a disabled winner hides the type), as the
 * resolver of the effective view does.
 */
export function levelsOf(
  type: string,
  env: string,
  service: PolicyRecord[],
  defaults: PolicyRecord[],
): LevelRow[] {
  const rows: LevelRow[] = [
    { level: env, policy: service.find((p) => p.type === type && p.env === env), wins: false },
    { level: '*', policy: service.find((p) => p.type === type && p.env === '*'), wins: false },
    { level: 'global', policy: defaults.find((p) => p.type === type), wins: false },
  ];
  const winner = rows.find((row) => row.policy);
  if (winner) winner.wins = true;
  return env === '*' ? rows.slice(1) : rows;
}

const LEVEL_NAMES: Record<string, string> = { '*': '* (every env)', global: 'global default' };

function verdict(row: LevelRow): string {
  if (!row.policy) return 'not set';
  if (!row.wins) return 'overridden';
  return row.policy.enabled ? 'wins' : 'wins (disabled: the type is off)';
}

export function policiesSection(session: PageContext['session'], slug: string, env: string) {
  const { api } = session;
  const body = h('div', {});
  const refresh = () =>
    load(body, async () => {
      const [service, defaults] = await Promise.all([
        api.get<{ items: PolicyRecord[] }>(`/v1/services/${enc(slug)}/policies`),
        api.get<{ items: PolicyRecord[] }>('/v1/policies'),
      ]);
      const rows = POLICY_TYPES.flatMap((type) =>
        levelsOf(type, env, service.items, defaults.items).map((row, index) => [
          index === 0 ? h('strong', {}, type) : '',
          LEVEL_NAMES[row.level] ?? `${row.level} (this env)`,
          row.policy ? (row.policy.enabled ? 'yes' : 'no') : '—',
          row.policy ? h('pre', {}, json(row.policy.spec)) : '—',
          h(
            'span',
            { class: row.wins ? 'wins' : 'muted', 'data-outcome': verdict(row) },
            verdict(row),
          ),
        ]),
      );
      return table(
        ['Type', 'Level', 'Enabled', 'Spec', 'Outcome'],
        rows,
        `Policies by level in ${env}`,
      );
    });
  void refresh();
  return {
    refresh: () => void refresh(),
    element: section(
      `Policies for ${env}`,
      body,
      setPolicyForm(session, slug, env, () => void refresh()),
    ),
  };
}

function setPolicyForm(
  session: PageContext['session'],
  slug: string,
  env: string,
  refresh: () => void,
) {
  const errors = new FieldErrors();
  const type = select(
    POLICY_TYPES.map((t): [string, string] => [t, t]),
    'rate-limit',
  );
  const levelOptions: Array<[string, string]> = [
    ...(env === '*' ? [] : [[env, `${env} (this env)`] as [string, string]]),
    ['*', '* (every env)'],
    ['global', 'global default'],
  ];
  const level = select(levelOptions, env === '*' ? '*' : env);
  const enabled = h('input', { type: 'checkbox', checked: true });
  const spec = h('textarea', { rows: 5, spellcheck: 'false' });
  spec.value = json(EXAMPLE_SPECS['rate-limit']);
  type.addEventListener('change', () => (spec.value = json(EXAMPLE_SPECS[type.value])));
  const reason = h('input', { type: 'text' });
  const status = statusLine();
  const submit = h('button', { type: 'submit' }, 'Set policy');
  const updateAllowed = () => {
    const allowed = may(session, 'writer');
    submit.disabled = allowed !== true;
    submit.title = allowed === true ? '' : allowed;
  };
  updateAllowed();
  const form = h(
    'form',
    { class: 'policy-form', 'aria-label': 'Set a policy' },
    h('h3', {}, 'Set a policy'),
    errors.field('type', 'Policy type', type),
    errors.field('env', 'Level', level),
    errors.field('enabled', 'Enabled', enabled),
    errors.field('spec', 'Spec (JSON)', spec),
    errors.field('reason', 'Reason', reason),
    submit,
    errors.summary,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.clear();
    const parsed = parseJsonInput(spec.value);
    if (!parsed.ok) {
      errors.show(new Error(parsed.message));
      errors.summary.textContent = parsed.message;
      return;
    }
    const global = level.value === 'global';
    const path = global
      ? `/v1/policies/${enc(type.value)}`
      : `/v1/services/${enc(slug)}/policies/${enc(type.value)}`;
    const payload = {
      ...(global ? {} : { env: level.value }),
      enabled: enabled.checked,
      spec: parsed.value,
      ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
    };
    void act(
      status,
      async () => {
        try {
          await session.api.write('PUT', path, payload);
        } catch (error) {
          errors.show(error);
          throw error;
        }
        refresh();
      },
      `Policy ${type.value} set at ${global ? 'global' : level.value}.`,
    );
  });
  return form;
}
