import { planPromotion, promotionWrites, type PromotedEntry } from './promotion.js';

const entry = (key: string, value: unknown, version = 1, description?: string): PromotedEntry => ({
  key,
  value,
  version,
  ...(description !== undefined ? { description } : {}),
});

describe(planPromotion.name, () => {
  const staging = [
    entry('flags', { beta: true }, 4),
    entry('limit', 10, 2),
    entry('url', 'https://s', 1, 'the upstream'),
  ];
  const prod = [entry('limit', 10, 7), entry('url', 'https://p', 3), entry('legacy', true, 1)];

  it('lists each key as added, changed, unchanged or kept, in key order', () => {
    const plan = planPromotion(staging, prod);
    expect(plan).toEqual({
      ok: true,
      changes: [
        { key: 'flags', change: 'added', after: { value: { beta: true } }, sourceVersion: 4 },
        {
          key: 'legacy',
          change: 'kept',
          before: { value: true, version: 1 },
          after: { value: true },
        },
        {
          key: 'limit',
          change: 'unchanged',
          before: { value: 10, version: 7 },
          after: { value: 10 },
        },
        {
          key: 'url',
          change: 'changed',
          before: { value: 'https://p', version: 3 },
          after: { value: 'https://s', description: 'the upstream' },
          sourceVersion: 1,
        },
      ],
    });
  });

  it('promotes only the keys asked for', () => {
    const plan = planPromotion(staging, prod, ['url']);
    expect(plan.ok && plan.changes.map((c) => [c.key, c.change])).toEqual([['url', 'changed']]);
  });

  it('refuses keys the source does not have', () => {
    expect(planPromotion(staging, prod, ['url', 'legacy', 'nope'])).toEqual({
      ok: false,
      missing: ['legacy', 'nope'],
    });
  });

  it.each<[string, PromotedEntry, PromotedEntry, string]>([
    [
      'equal objects whatever their member order',
      entry('k', { a: 1, b: [1] }),
      entry('k', { b: [1], a: 1 }),
      'unchanged',
    ],
    ['a different nested value', entry('k', { a: [1, 2] }), entry('k', { a: [1] }), 'changed'],
    ['null against a value', entry('k', null), entry('k', 0), 'changed'],
    ['only the description differs', entry('k', 1, 1, 'new'), entry('k', 1, 1), 'changed'],
    [
      'a secret against the same plain value',
      { ...entry('k', 1), secret: true },
      entry('k', 1),
      'changed',
    ],
    [
      'two equal secrets',
      { ...entry('k', 's3'), secret: true },
      { ...entry('k', 's3'), secret: true },
      'unchanged',
    ],
  ])('compares %s', (_name, source, target, expected) => {
    const plan = planPromotion([source], [target]);
    expect(plan.ok && plan.changes[0].change).toBe(expected);
  });
});

describe(promotionWrites.name, () => {
  it('writes the added and the changed keys only', () => {
    const plan = planPromotion(
      [entry('a', 1), entry('b', 2), entry('c', 3)],
      [entry('b', 2), entry('c', 4), entry('d', 5)],
    );
    expect(plan.ok && promotionWrites(plan.changes).map((c) => c.key)).toEqual(['a', 'c']);
  });
});
