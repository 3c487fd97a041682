import { h, input, json, select } from '../dom.js';
import { parseJsonInput } from '../form.js';
import { EXAMPLE_SPECS, POLICY_TYPES } from './service-policies.js';

export interface DraftChange {
  type: string;
  data: Record<string, unknown>;
}

/** Turns an edit (a configuration value or a policy) into a change of a request. */
export function changeBuilder(add: (change: DraftChange) => void): HTMLElement {
  const kind = select(
    [
      ['config.set', 'Set a configuration entry'],
      ['policy.set', 'Set a policy'],
    ],
    'config.set',
  );
  const slug = input({ autocomplete: 'off' });
  const env = input({ value: 'prod' });
  const key = input({ autocomplete: 'off' });
  const type = select(
    POLICY_TYPES.map((t): [string, string] => [t, t]),
    'rate-limit',
  );
  const value = h('textarea', { rows: 2, spellcheck: 'false' });
  const message = h('p', { class: 'error', role: 'alert' });
  const ids = ['kind', 'slug', 'env', 'key', 'type', 'value'];
  [kind, slug, env, key, type, value].forEach((control, i) => (control.id = `draft-${ids[i]}`));
  const keyField = h('div', { class: 'field' }, h('label', { for: key.id }, 'Key'), key);
  const typeField = h('div', { class: 'field' }, h('label', { for: type.id }, 'Policy type'), type);
  const valueLabel = h('label', { for: value.id }, 'Value (JSON)');
  const sync = () => {
    const policy = kind.value === 'policy.set';
    keyField.hidden = policy;
    typeField.hidden = !policy;
    valueLabel.textContent = policy ? 'Spec (JSON)' : 'Value (JSON)';
    if (policy && !value.value.trim()) value.value = json(EXAMPLE_SPECS[type.value]);
  };
  kind.addEventListener('change', sync);
  sync();
  const addButton = h('button', { type: 'button' }, 'Add this edit');
  addButton.addEventListener('click', () => {
    const parsed = parseJsonInput(value.value);
    if (!parsed.ok) {
      message.textContent = parsed.message;
      return;
    }
    message.textContent = '';
    const common = { slug: slug.value.trim(), env: env.value.trim() };
    add(
      kind.value === 'policy.set'
        ? {
            type: 'policy.set',
            data: { ...common, type: type.value, enabled: true, spec: parsed.value },
          }
        : { type: 'config.set', data: { ...common, key: key.value.trim(), value: parsed.value } },
    );
  });
  return h(
    'fieldset',
    { class: 'builder' },
    h('legend', {}, 'An edit'),
    h('div', { class: 'field' }, h('label', { for: kind.id }, 'Kind'), kind),
    h('div', { class: 'field' }, h('label', { for: slug.id }, 'Service'), slug),
    h('div', { class: 'field' }, h('label', { for: env.id }, 'Environment'), env),
    keyField,
    typeField,
    h('div', { class: 'field' }, valueLabel, value),
    addButton,
    message,
  );
}
