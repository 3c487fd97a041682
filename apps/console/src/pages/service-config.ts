import { enc } from '../api.js';
import { button, formatTime, h, input, json, replace, select } from '../dom.js';
import { diffView } from '../diff.js';
import { FieldErrors, parseJsonInput } from '../form.js';
import { act, load, section, statusLine, table, type PageContext } from '../page.js';
import { may } from '../session.js';

export interface ConfigEntry {
  key: string;
  value: unknown;
  description?: string;
  version: number;
  secret?: boolean;
  updatedAt?: string;
}

export interface ConfigVersion {
  version: number;
  value: unknown;
  description?: string;
  secret?: boolean;
  actor?: string;
  reason?: string;
  createdAt?: string;
  occurredAt?: string;
}

type Session = PageContext['session'];

/** What the API answers in place of a secret's value to a token without the `secrets` scope. */
export const SECRET_MASK = '***';

/** A secret whose value this token may not read. */
function isMaskedSecret(entry: { value: unknown; secret?: boolean }): boolean {
  return entry.secret === true && entry.value === SECRET_MASK;
}

/** A version's value as the history shows it: a masked secret says so. */
function shownValue(version: { value: unknown; secret?: boolean }): string {
  return isMaskedSecret(version) ? '*** (secret: hidden from this token)' : json(version.value);
}

function entryPath(slug: string, env: string, key?: string): string {
  return `/v1/services/${enc(slug)}/config/${enc(env)}${key === undefined ? '' : `/${enc(key)}`}`;
}

/**
 * One configuration value edited in place: JSON text, Save, and the problem+json errors
 * of a refused value shown right beside it. A secret stays secret when saved; one whose
 * value this token cannot read starts empty, to be replaced, never saved back as "***".
 */
export function inlineEditor(
  session: Session,
  slug: string,
  env: string,
  entry: ConfigEntry,
  saved: (stored: ConfigEntry) => void,
) {
  const errors = new FieldErrors();
  const masked = isMaskedSecret(entry);
  const text = masked ? '' : json(entry.value);
  const lines = text.split('\n').length;
  const value = h('textarea', {
    rows: Math.min(8, Math.max(2, lines)),
    spellcheck: 'false',
    class: 'value',
    ...(masked
      ? { placeholder: 'Secret: hidden from this token. Type a new value to replace it.' }
      : {}),
  });
  value.value = text;
  const status = statusLine();
  const allowed = may(session, 'writer');
  if (allowed !== true) {
    value.readOnly = true;
    value.title = allowed;
  }
  const save = button(
    'Save',
    () => {
      errors.clear();
      if (masked && value.value.trim() === '') {
        errors.show(new Error(`Type the new value of ${entry.key}: its current value is hidden.`));
        return;
      }
      const parsed = parseJsonInput(value.value);
      if (!parsed.ok) {
        errors.show(new Error(parsed.message));
        return;
      }
      void act(
        status,
        async () => {
          try {
            const stored = await session.api.write<ConfigEntry | undefined>(
              'PUT',
              entryPath(slug, env, entry.key),
              {
                value: parsed.value,
                ...(entry.description ? { description: entry.description } : {}),
                ...(entry.secret ? { secret: true } : {}),
              },
            );
            // The editor stays as it is (focus, text); only the row's figures move.
            if (stored?.version) saved(stored);
          } catch (error) {
            errors.show(error);
            throw error;
          }
        },
        'Saved.',
      );
    },
    allowed,
    { 'aria-label': `Save ${entry.key}` },
  );
  return h(
    'div',
    { class: 'inline-edit' },
    errors.field('value', `Value of ${entry.key}${entry.secret ? ' (secret)' : ''}`, value),
    save,
    errors.summary,
    status,
  );
}

export function configSection(session: Session, slug: string, env: string): HTMLElement {
  const { api } = session;
  const list = h('div', {});
  const history = h('div', { class: 'history' });
  const refresh = () =>
    load(list, async () => {
      const { items } = await api.get<{ items: ConfigEntry[] }>(entryPath(slug, env));
      if (items.length === 0) return h('p', { class: 'muted' }, `No configuration in ${env} yet.`);
      return table(
        ['Key', 'Value', 'Version', 'Updated', ''],
        items.map((entry) => {
          const version = h('span', {}, String(entry.version));
          const updated = h('span', {}, formatTime(entry.updatedAt));
          const saved = (stored: ConfigEntry) => {
            version.textContent = String(stored.version);
            updated.textContent = formatTime(stored.updatedAt);
          };
          return [
            h('code', {}, entry.key, entry.secret ? ' (secret)' : ''),
            inlineEditor(session, slug, env, entry, saved),
            version,
            updated,
            button(
              'History',
              () => void showHistory(session, slug, env, entry.key, history, () => void refresh()),
              true,
              {
                'aria-label': `History of ${entry.key}`,
              },
            ),
          ];
        }),
        `Configuration in ${env}`,
      );
    });
  void refresh();
  return section(
    `Configuration in ${env}`,
    list,
    addEntryForm(session, slug, env, () => void refresh()),
    history,
  );
}

function addEntryForm(
  session: Session,
  slug: string,
  env: string,
  refresh: () => void,
): HTMLElement {
  const errors = new FieldErrors();
  const key = input({ required: true, pattern: '[a-zA-Z0-9._-]{1,128}', autocomplete: 'off' });
  const value = h('textarea', { rows: 2, spellcheck: 'false' });
  const description = input();
  const secret = h('input', { type: 'checkbox' });
  secret.title = 'Stored encrypted; tokens without the secrets scope read it as ***';
  const status = statusLine();
  const submit = h('button', { type: 'submit' }, 'Add entry');
  const allowed = may(session, 'writer');
  if (allowed !== true) {
    submit.disabled = true;
    submit.title = allowed;
  }
  const form = h(
    'form',
    { class: 'config-form', 'aria-label': 'Add a configuration entry' },
    h('h3', {}, 'Add or replace an entry'),
    errors.field('key', 'Key', key),
    errors.field('value', 'Value (JSON)', value),
    errors.field('description', 'Description', description),
    errors.field('secret', 'Secret', secret),
    submit,
    errors.summary,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const parsed = parseJsonInput(value.value);
    if (!parsed.ok) {
      errors.show(new Error(parsed.message));
      return;
    }
    errors.clear();
    const body = {
      value: parsed.value,
      ...(description.value.trim() ? { description: description.value.trim() } : {}),
      ...(secret.checked ? { secret: true } : {}),
    };
    void act(
      status,
      async () => {
        try {
          await session.api.write('PUT', entryPath(slug, env, key.value.trim()), body);
        } catch (error) {
          errors.show(error);
          throw error;
        }
        refresh();
      },
      `Saved ${key.value.trim()}.`,
    );
  });
  return form;
}

async function showHistory(
  session: Session,
  slug: string,
  env: string,
  key: string,
  target: HTMLElement,
  changed: () => void,
  outcome = '',
): Promise<void> {
  await load(target, async () => {
    const { items } = await session.api.get<{ items: ConfigVersion[] }>(
      `${entryPath(slug, env, key)}/history`,
    );
    const versions = [...items].sort((a, b) => a.version - b.version);
    const options = versions.map((v): [string, string] => [
      String(v.version),
      `version ${v.version}`,
    ]);
    const newest = versions.at(-1);
    const from = select(options, String(versions.at(-2)?.version ?? newest?.version ?? ''));
    const to = select(options, String(newest?.version ?? ''));
    from.id = `history-from-${key}`;
    to.id = `history-to-${key}`;
    const diff = h('div', {});
    const showDiff = () => {
      const a = versions.find((v) => String(v.version) === from.value);
      const b = versions.find((v) => String(v.version) === to.value);
      replace(
        diff,
        diffView(a?.value, b?.value, `Difference between version ${from.value} and ${to.value}`),
      );
    };
    from.addEventListener('change', showDiff);
    to.addEventListener('change', showDiff);
    showDiff();

    const rollbackTo = select(options, String(versions.at(-2)?.version ?? ''));
    rollbackTo.id = `rollback-to-${key}`;
    const reason = input({ required: true });
    reason.id = `rollback-reason-${key}`;
    const status = statusLine();
    status.textContent = outcome;
    const rollback = button(
      'Roll back',
      () => {
        if (!reason.value.trim()) {
          status.className = 'status error';
          status.textContent = 'Give a reason for the rollback; the audit keeps it.';
          reason.focus();
          return;
        }
        void act(
          status,
          async () => {
            await session.api.write('POST', `${entryPath(slug, env, key)}/rollback`, {
              toVersion: Number(rollbackTo.value),
              reason: reason.value.trim(),
            });
            changed();
            // The history is drawn anew; its own status line tells the outcome.
            const done = `Rolled ${key} back to version ${rollbackTo.value}.`;
            await showHistory(session, slug, env, key, target, changed, done);
          },
          `Rolled ${key} back to version ${rollbackTo.value}.`,
        );
      },
      may(session, 'writer'),
    );
    return [
      h('h3', { tabindex: '-1' }, `History of ${key}`),
      table(
        ['Version', 'Value', 'When', 'Reason'],
        [...versions]
          .reverse()
          .map((v) => [
            String(v.version),
            h('pre', {}, shownValue(v)),
            formatTime(v.createdAt ?? v.occurredAt),
            v.reason ?? '',
          ]),
        `Versions of ${key}`,
      ),
      h(
        'div',
        { class: 'inline' },
        h('label', { for: from.id }, 'Compare version'),
        from,
        h('label', { for: to.id }, 'with version'),
        to,
      ),
      diff,
      h(
        'div',
        { class: 'inline' },
        h('label', { for: rollbackTo.id }, 'Roll back to version'),
        rollbackTo,
        h('label', { for: reason.id }, 'Reason'),
        reason,
        rollback,
      ),
      status,
    ];
  });
  target.querySelector('h3')?.focus();
}
