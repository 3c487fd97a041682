import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS } from './node-flags.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('the node flags of each app', () => {
  it.each(['api', 'worker'] as const)(
    'are the ones `npm run start:%s` and `npm run up` start it with',
    (app) => {
      const started = `node ${[...NODE_FLAGS[app], `dist/apps/${app}/src/main.js`].join(' ')}`;
      const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
      expect(scripts[`start:${app}`]).toBe(started);
      expect(read('scripts/up.sh')).toContain(`${started} &`);
    },
  );
});
