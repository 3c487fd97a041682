import { ApiError, describeError } from './api.js';
import { h, uid } from './dom.js';

/**
 * Labelled controls whose problem+json `errors` are shown beside the field they name,
 * with aria-invalid and aria-describedby so a screen reader reads them too.
 */
export class FieldErrors {
  private readonly slots = new Map<string, { control: HTMLElement; slot: HTMLElement }>();
  readonly summary = h('p', { class: 'error', role: 'alert' });

  field(name: string, label: string, control: HTMLElement): HTMLElement {
    control.id ||= uid('f');
    const slot = h('span', { class: 'field-error', id: `${control.id}-error` });
    control.setAttribute('aria-describedby', slot.id);
    this.slots.set(name, { control, slot });
    return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, slot);
  }

  clear(): void {
    this.summary.textContent = '';
    for (const { control, slot } of this.slots.values()) {
      slot.textContent = '';
      control.removeAttribute('aria-invalid');
    }
  }

  /** Puts each error beside its field; what names no field goes to the summary. */
  show(error: unknown): void {
    this.clear();
    const errors = error instanceof ApiError ? (error.problem.errors ?? []) : [];
    const unplaced: string[] = [];
    for (const { field, message } of errors) {
      const target = this.slotFor(field);
      if (!target) {
        unplaced.push(`${field}: ${message}`);
        continue;
      }
      target.slot.textContent = target.slot.textContent
        ? `${target.slot.textContent}; ${message}`
        : message;
      target.control.setAttribute('aria-invalid', 'true');
    }
    const base =
      error instanceof ApiError ? `${error.status} ${error.message}` : describeError(error);
    this.summary.textContent = unplaced.length ? `${base} (${unplaced.join('; ')})` : base;
  }

  private slotFor(field: string) {
    const parts = field.split('.');
    for (let n = parts.length; n > 0; n -= 1) {
      const found = this.slots.get(parts.slice(0, n).join('.'));
      if (found) return found;
    }
    return undefined;
  }
}

/** Parses a JSON text typed by a person; a clear message when it is not JSON. */
export function parseJsonInput(
  text: string,
): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
  }
}
