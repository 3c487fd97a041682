import { describe, expect, it } from 'vitest';
import { diffJson, diffView } from './diff.js';
import { SseParser } from './watch.js';
import { levelsOf } from './pages/service-policies.js';
import { FieldErrors } from './form.js';
import { ApiError } from './api.js';
import { bucketCounts, parseHistogram, quantileBound } from './metrics.js';
import { matchRoute } from './router.js';
import { originalMessage } from './pages/dead-letters.js';

describe('the before/after diff', () => {
  it('names each changed, added and removed field by its path', () => {
    expect(
      diffJson({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: 1, b: { c: 5 }, e: [1, 2], f: 'x' }),
    ).toEqual([
      { path: 'b.c', kind: 'changed', before: 2, after: 5 },
      { path: 'b.d', kind: 'removed', before: 3 },
      { path: 'e', kind: 'changed', before: [1], after: [1, 2] },
      { path: 'f', kind: 'added', after: 'x' },
    ]);
  });

  it('shows a creation (no before) as added rows and says when nothing differs', () => {
    const table = diffView(null, { value: 1, key: 'k' });
    expect(table.querySelectorAll('tr.diff-added')).toHaveLength(2);
    expect(diffView({ a: 1 }, { a: 1 }).textContent).toBe('No difference.');
  });
});

describe('the event-stream parser', () => {
  it('assembles events split across chunks, skipping heartbeats', () => {
    const parser = new SseParser();
    expect(parser.feed('retry: 2000\n: heartbeat\n\nevent: view\nid: "r3"x\nda')).toEqual([]);
    const events = parser.feed('ta: {"version":3}\n\nevent: absent\ndata: {"slug":"a"}\r\n\r\n');
    expect(events).toEqual([
      { event: 'view', id: '"r3"x', data: '{"version":3}', retry: 2000 },
      { event: 'absent', id: '"r3"x', data: '{"slug":"a"}', retry: 2000 },
    ]);
  });
});

describe('policy levels', () => {
  const global = [{ type: 'quota', enabled: true, spec: { limit: 1 } }];
  it('lets the most specific level present win alone, even when disabled', () => {
    const service = [{ type: 'quota', env: '*', enabled: false, spec: { limit: 2 } }];
    const rows = levelsOf('quota', 'prod', service, global);
    expect(rows.map((r) => [r.level, r.wins])).toEqual([
      ['prod', false],
      ['*', true],
      ['global', false],
    ]);
    expect(levelsOf('quota', 'prod', [], global).find((r) => r.wins)?.level).toBe('global');
    expect(levelsOf('rate-limit', 'prod', [], global).some((r) => r.wins)).toBe(false);
  });
});

describe('field errors', () => {
  it('puts each problem+json error beside the field it names', () => {
    const errors = new FieldErrors();
    const value = document.createElement('textarea');
    const form = errors.field('value', 'Value', value);
    errors.show(
      new ApiError({
        status: 400,
        detail: 'bad',
        errors: [
          { field: 'value', message: 'too big' },
          { field: 'x', message: 'odd' },
        ],
      }),
    );
    expect(form.querySelector('.field-error')?.textContent).toBe('too big');
    expect(value.getAttribute('aria-invalid')).toBe('true');
    expect(errors.summary.textContent).toBe('400 bad (x: odd)');
    errors.clear();
    expect(value.hasAttribute('aria-invalid')).toBe(false);
  });
});

describe('the propagation histogram', () => {
  const text = [
    '# TYPE warden_propagation_delay_seconds histogram',
    'warden_propagation_delay_seconds_bucket{le="0.01"} 2',
    'warden_propagation_delay_seconds_bucket{le="0.1"} 9',
    'warden_propagation_delay_seconds_bucket{le="+Inf"} 10',
    'warden_propagation_delay_seconds_sum 0.5',
    'warden_propagation_delay_seconds_count 10',
  ].join('\n');
  it('reads the buckets and gives counts per range and quantile bounds', () => {
    const histogram = parseHistogram(text, 'warden_propagation_delay_seconds')!;
    expect(histogram.count).toBe(10);
    expect(bucketCounts(histogram).map((b) => b.count)).toEqual([2, 7, 1]);
    expect(quantileBound(histogram, 0.5)).toBe(0.1);
    expect(parseHistogram(text, 'warden_other')).toBeUndefined();
  });
});

describe('routes and dead letters', () => {
  it('maps each console URL to its page', () => {
    expect(matchRoute('/console/services/check%2Dout')).toEqual({
      name: 'service',
      slug: 'check-out',
    });
    expect(matchRoute('/console/dead-letters')).toEqual({ name: 'dead-letters' });
    expect(matchRoute('/console/nope/x').name).toBe('not-found');
  });

  it('shows the original message as JSON when it is, as received when not', () => {
    const base = {
      id: '1',
      reason: 'r',
      originalPartition: 0,
      originalOffset: '1',
      key: null,
      createdAt: '',
      redriveCount: 0,
    };
    expect(originalMessage({ ...base, payload: '{"a":1}', payloadEncoding: 'utf8' })).toBe(
      '{\n  "a": 1\n}',
    );
    expect(originalMessage({ ...base, payload: '{"id": "not json', payloadEncoding: 'utf8' })).toBe(
      '{"id": "not json',
    );
  });
});
