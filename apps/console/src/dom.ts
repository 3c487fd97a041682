/** A tiny element builder: enough for a console without a UI framework. */
export type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | Handler | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      element.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
    } else if (name === 'value' && 'value' in element) {
      (element as HTMLInputElement).value = String(value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else
      parent.appendChild(
        typeof child === 'object' ? child : document.createTextNode(String(child)),
      );
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let nextId = 0;
/** A unique id so that every control can have a `<label for>`. */
export function uid(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A labelled control: the label names it for screen readers and for tests. */
export function field(label: string, control: HTMLElement, hint?: Child): HTMLElement {
  const id = control.id || uid('f');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ?? null);
}

export function input(attrs: Attrs = {}): HTMLInputElement {
  return h('input', { type: 'text', ...attrs });
}

export function select(options: Array<[string, string]>, value = '', attrs: Attrs = {}) {
  const element = h(
    'select',
    attrs,
    options.map(([optionValue, text]) => h('option', { value: optionValue }, text)),
  );
  element.value = value;
  return element;
}

/**
 * A button that a token may not use stays visible but greyed out, with the reason as
 * its title, so people see what exists and why they cannot do it.
 */
export function button(
  text: string,
  onClick: Handler,
  allowed: true | string = true,
  attrs: Attrs = {},
) {
  const element = h('button', { type: 'button', ...attrs, onclick: onClick }, text);
  if (allowed !== true) {
    element.disabled = true;
    element.title = allowed;
    element.setAttribute('aria-disabled', 'true');
  }
  return element;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').slice(0, 19);
}
