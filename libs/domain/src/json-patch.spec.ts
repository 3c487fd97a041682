import { applyJsonPatch, diffJson } from './json-patch.js';

describe('diffJson', () => {
  it('gives an empty patch for equal documents, whatever the order of members', () => {
    expect(diffJson({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toEqual([]);
  });

  it.each([
    ['a number for a string', 1, '1', [{ op: 'replace', path: '', value: '1' }]],
    ['null for an object', { a: 1 }, null, [{ op: 'replace', path: '', value: null }]],
    ['an array for an object', { a: 1 }, [1], [{ op: 'replace', path: '', value: [1] }]],
  ])('replaces the whole document when it changes kind: %s', (_name, from, to, patch) => {
    expect(diffJson(from, to)).toEqual(patch);
  });

  it('adds, removes and replaces object members at their own paths', () => {
    expect(
      diffJson({ keep: 1, gone: 2, deep: { x: 1 } }, { keep: 1, deep: { x: 2 }, new: 3 }),
    ).toEqual([
      { op: 'remove', path: '/gone' },
      { op: 'replace', path: '/deep/x', value: 2 },
      { op: 'add', path: '/new', value: 3 },
    ]);
  });

  it('escapes ~ and / in member names as RFC 6901 says', () => {
    expect(diffJson({}, { 'a/b': 1, 'c~d': 2 })).toEqual([
      { op: 'add', path: '/a~1b', value: 1 },
      { op: 'add', path: '/c~0d', value: 2 },
    ]);
  });

  it('removes a shortened array from the end backwards and appends a longer one', () => {
    expect(diffJson([1, 2, 3, 4], [1, 9])).toEqual([
      { op: 'replace', path: '/1', value: 9 },
      { op: 'remove', path: '/3' },
      { op: 'remove', path: '/2' },
    ]);
    expect(diffJson(['eu'], ['eu', 'us', 'ap'])).toEqual([
      { op: 'add', path: '/1', value: 'us' },
      { op: 'add', path: '/2', value: 'ap' },
    ]);
  });

  it('tells a null member from an absent one', () => {
    expect(diffJson({ a: null }, {})).toEqual([{ op: 'remove', path: '/a' }]);
    expect(diffJson({}, { a: null })).toEqual([{ op: 'add', path: '/a', value: null }]);
  });
});

describe('applyJsonPatch', () => {
  const pairs: [string, unknown, unknown][] = [
    ['nested objects and arrays', { a: [1, { b: 2 }], c: 'x' }, { a: [{ b: 3 }], d: { e: [] } }],
    ['scalars', 800, 900],
    ['a growing array of objects', [{ id: 1 }], [{ id: 1, on: true }, { id: 2 }]],
    ['odd member names', { 'x/y': { '~': 1 } }, { 'x/y': { '~': 2, '': 0 } }],
    ['null to a document', null, { flags: { beta: true } }],
  ];

  it.each(pairs)('turns from into to with the diff of %s', (_name, from, to) => {
    expect(applyJsonPatch(from, diffJson(from, to))).toEqual(to);
  });

  it('leaves the document it was given untouched', () => {
    const from = { a: [1, 2] };
    applyJsonPatch(from, diffJson(from, { a: [3] }));
    expect(from).toEqual({ a: [1, 2] });
  });
});
