import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

// The API serves the built files from dist/apps/console at /console (apps/api/src/console).
export default defineConfig({
  root: here('.'),
  base: '/console/',
  build: { outDir: here('../../dist/apps/console'), emptyOutDir: true, sourcemap: true },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
});
