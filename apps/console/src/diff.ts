import { h, json } from './dom.js';

export interface Difference {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where two JSON values differ, leaf by leaf (objects are walked, arrays and scalars compared whole). */
export function diffJson(before: unknown, after: unknown, path = ''): Difference[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => {
      const next = path ? `${path}.${key}` : key;
      if (!(key in after)) return [{ path: next, kind: 'removed' as const, before: before[key] }];
      if (!(key in before)) return [{ path: next, kind: 'added' as const, after: after[key] }];
      return diffJson(before[key], after[key], next);
    });
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (before === undefined) return [{ path: path || '(value)', kind: 'added', after }];
  if (after === undefined) return [{ path: path || '(value)', kind: 'removed', before }];
  return [{ path: path || '(value)', kind: 'changed', before, after }];
}

const SIGN: Record<Difference['kind'], string> = { added: '+', removed: '−', changed: '~' };

function shown(value: unknown): string {
  return value === undefined ? '' : json(value);
}

/** A before/after table; "no difference" when there is none. */
export function diffView(before: unknown, after: unknown, label = 'Difference'): HTMLElement {
  // A creation or a removal shows each field as added or removed.
  const blank = (value: unknown, other: unknown) => (value == null && isObject(other) ? {} : value);
  const differences = diffJson(blank(before, after), blank(after, before));
  if (differences.length === 0) return h('p', { class: 'muted diff-none' }, 'No difference.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'diff', 'aria-label': label },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['', 'Field', 'Before', 'After'].map((text) => h('th', { scope: 'col' }, text)),
        ),
      ),
      h(
        'tbody',
        {},
        differences.map((d) =>
          h(
            'tr',
            { class: `diff-${d.kind}` },
            h('td', { 'aria-label': d.kind }, SIGN[d.kind]),
            h('td', {}, h('code', {}, d.path)),
            h('td', {}, h('pre', {}, shown(d.before))),
            h('td', {}, h('pre', {}, shown(d.after))),
          ),
        ),
      ),
    ),
  );
}
