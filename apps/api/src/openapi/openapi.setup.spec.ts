import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const SETUP = readFileSync(path.join(import.meta.dirname, 'openapi.setup.ts'), 'utf8');

function dtoModules(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.dto.ts'))
    .map((file) => path.join(dir, file));
}

describe('setupOpenApi', () => {
  it.each([...dtoModules('apps/api/src'), ...dtoModules('libs/domain/src')])(
    'shows the validation rules of %s',
    (file) => {
      const name = path.basename(file, '.ts');
      const imported = file.startsWith('libs/domain/') ? `from '#domain/${name}'` : `/${name}.js'`;
      expect(SETUP).toContain(imported);
    },
  );
});
