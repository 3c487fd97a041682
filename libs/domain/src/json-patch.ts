/** One operation of a JSON Patch (RFC 6902); a diff only ever needs these three. */
export type JsonPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown };

type JsonObject = Record<string, unknown>;

/**
 * The JSON Patch that turns `from` into `to`. Objects are compared member by member and
 * arrays index by index (a changed tail is removed from the end backwards, so each
 * index stays valid while the patch is applied in order); anything else that differs
 * is replaced whole. Equal documents give an empty patch.
 */
export function diffJson(from: unknown, to: unknown, path = ''): JsonPatchOperation[] {
  if (isObject(from) && isObject(to)) return diffObjects(from, to, path);
  if (Array.isArray(from) && Array.isArray(to)) return diffArrays(from, to, path);
  return equalJson(from, to) ? [] : [{ op: 'replace', path, value: to }];
}

function diffObjects(from: JsonObject, to: JsonObject, path: string): JsonPatchOperation[] {
  const patch: JsonPatchOperation[] = [];
  for (const key of Object.keys(from)) {
    if (!Object.hasOwn(to, key)) patch.push({ op: 'remove', path: `${path}/${escape(key)}` });
  }
  for (const key of Object.keys(to)) {
    const at = `${path}/${escape(key)}`;
    if (!Object.hasOwn(from, key)) patch.push({ op: 'add', path: at, value: to[key] });
    else patch.push(...diffJson(from[key], to[key], at));
  }
  return patch;
}

function diffArrays(from: unknown[], to: unknown[], path: string): JsonPatchOperation[] {
  const patch: JsonPatchOperation[] = [];
  const common = Math.min(from.length, to.length);
  for (let i = 0; i < common; i += 1) patch.push(...diffJson(from[i], to[i], `${path}/${i}`));
  for (let i = from.length - 1; i >= common; i -= 1)
    patch.push({ op: 'remove', path: `${path}/${i}` });
  for (let i = common; i < to.length; i += 1)
    patch.push({ op: 'add', path: `${path}/${i}`, value: to[i] });
  return patch;
}

/**
 * Applies a patch made of add, remove and replace (what `diffJson` produces) to a copy
 * of `document`; the input is left untouched.
 */
export function applyJsonPatch(document: unknown, patch: readonly JsonPatchOperation[]): unknown {
  let root = structuredClone(document);
  for (const operation of patch) {
    if (operation.path === '') {
      root = operation.op === 'remove' ? undefined : structuredClone(operation.value);
      continue;
    }
    const tokens = operation.path.split('/').slice(1).map(unescape);
    const last = tokens.pop()!;
    let parent: unknown = root;
    for (const token of tokens) parent = (parent as JsonObject)[token];
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (operation.op === 'add') parent.splice(index, 0, structuredClone(operation.value));
      else if (operation.op === 'remove') parent.splice(index, 1);
      else parent[index] = structuredClone(operation.value);
    } else if (isObject(parent)) {
      if (operation.op === 'remove') delete parent[last];
      else parent[last] = structuredClone(operation.value);
    } else {
      throw new Error(`path ${operation.path} does not exist`);
    }
  }
  return root;
}

/** RFC 6901: `~` is written `~0` and `/` is written `~1` in a pointer's tokens. */
function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && equalJson(a[k], b[k]))
    );
  }
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => equalJson(v, b[i]));
  return false;
}
