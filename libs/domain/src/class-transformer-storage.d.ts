// class-transformer keeps its metadata in a storage that its public entry point does not
// re-export; json-limits.ts reads it through an interface of its own.
declare module 'class-transformer/cjs/storage.js' {
  export const defaultMetadataStorage: unknown;
}
