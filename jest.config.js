/** Jest 30 + ts-jest ESM preset, run with `node --experimental-vm-modules` (see docs/testing.md). */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  // class-transformer's decorators read design-time metadata, as in the apps' main.ts.
  setupFiles: ['reflect-metadata'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^#(domain|messaging|caching|persistence|config|observability)/(.*)$':
      '<rootDir>/libs/$1/src/$2',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts'],
  testTimeout: 120000,
  // A suite whose set-up timed out may leave an app process or a socket behind; the run must
  // still end with its results instead of waiting for CI's limit.
  forceExit: true,
};
