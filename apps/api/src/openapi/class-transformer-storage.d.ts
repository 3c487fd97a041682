// class-transformer keeps the `@Type(() => X)` of nested members in a storage that its
// public entry point does not re-export; the OpenAPI document reads it to name them.
declare module 'class-transformer/cjs/storage.js' {
  export const defaultMetadataStorage: {
    findTypeMetadata(
      target: abstract new (...args: never[]) => unknown,
      propertyName: string,
    ): { typeFunction: () => abstract new (...args: never[]) => unknown } | undefined;
  };
}
