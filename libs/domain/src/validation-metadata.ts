import { getMetadataStorage } from 'class-validator';

/** One rule of a class, opaque here (class-validator does not export its type). */
type ValidationMetadata = object;

type Grouped = Record<string, ValidationMetadata[]>;
type Lookup = (
  target: object,
  schema: string,
  always: boolean,
  strictGroups: boolean,
  groups?: string[],
) => ValidationMetadata[];

const MEMOISED = Symbol.for('warden.validation-metadata.memoised');

/**
 * class-validator looks a class's rules up anew on every `validate` call, for every nested
 * object: it filters all the class's rules and tests the class against every validated
 * class for inheritance, then groups the result by property. On a write that was a fifth of
 * the validation's time, yet the answer changes only when a rule is added (a decorator, at
 * import). The lookup and the grouping are remembered per class and options and forgotten
 * whenever a rule is added; neither result is modified by class-validator's callers.
 * Idempotent: the storage is global, shared by the domain's validation and Nest's pipe.
 */
export function memoiseValidationMetadata(): void {
  const storage = getMetadataStorage() as unknown as {
    [MEMOISED]?: true;
    getTargetValidationMetadatas: Lookup;
    groupByPropertyName(metadata: ValidationMetadata[]): Grouped;
    addValidationMetadata(metadata: ValidationMetadata): void;
  };
  if (storage[MEMOISED]) return;
  storage[MEMOISED] = true;
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const add = storage.addValidationMetadata.bind(storage);
  let lookups = new Map<object, Map<string, ValidationMetadata[]>>();
  let groupings = new WeakMap<ValidationMetadata[], Grouped>();
  storage.addValidationMetadata = (metadata) => {
    lookups = new Map();
    groupings = new WeakMap();
    add(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    let byOptions = lookups.get(target);
    if (!byOptions) lookups.set(target, (byOptions = new Map()));
    const options = `${schema ?? ''}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0000') ?? ''}`;
    let found = byOptions.get(options);
    if (!found)
      byOptions.set(options, (found = lookup(target, schema, always, strictGroups, groups)));
    return found;
  };
  storage.groupByPropertyName = (metadata) => {
    let grouped = groupings.get(metadata);
    if (!grouped) groupings.set(metadata, (grouped = group(metadata)));
    return grouped;
  };
}
