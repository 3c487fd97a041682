import { validateEventData } from './event-validation.js';
import { MAX_CONFIG_VALUE_BYTES, jsonSize } from './config.model.js';

const fieldsOf = (errors: { field: string }[]) => [...new Set(errors.map((e) => e.field))].sort();
const entry = { slug: 'checkout', env: 'prod', key: 'timeouts.upstreamMs' };

describe('configuration writes', () => {
  describe('config.set', () => {
    it.each([
      [800],
      ['text'],
      [true],
      [null],
      [[1, 2]],
      [{ nested: { deep: [1, { x: null }] } }],
      [0],
      [''],
    ])('accepts the JSON value %p', (value) => {
      expect(validateEventData('config.set', { ...entry, value })).toEqual([]);
    });

    it('requires a value, null being one', () => {
      expect(fieldsOf(validateEventData('config.set', entry))).toEqual(['value']);
    });

    it('accepts a value of exactly 64 KiB of JSON and refuses one byte more', () => {
      const fits = 'x'.repeat(MAX_CONFIG_VALUE_BYTES - 2);
      expect(jsonSize(fits)).toBe(MAX_CONFIG_VALUE_BYTES);
      expect(validateEventData('config.set', { ...entry, value: fits })).toEqual([]);
      expect(fieldsOf(validateEventData('config.set', { ...entry, value: fits + 'x' }))).toEqual([
        'value',
      ]);
    });

    it.each([
      ['key', 'has space'],
      ['key', 'k'.repeat(129)],
      ['key', ''],
      ['env', '*'],
      ['env', 'Prod'],
      ['slug', 'Checkout'],
      ['description', 5],
      ['description', 'd'.repeat(1001)],
    ])('names %s when it is %p', (field, value) => {
      expect(
        fieldsOf(validateEventData('config.set', { ...entry, value: 1, [field]: value })),
      ).toEqual([field]);
    });

    it('accepts keys of letters, digits, dots, dashes and underscores up to 128 characters', () => {
      for (const key of ['a', 'Feature_Flags.checkout-v2', 'k'.repeat(128)]) {
        expect(validateEventData('config.set', { ...entry, key, value: 1 })).toEqual([]);
      }
    });

    it('refuses unknown fields', () => {
      expect(fieldsOf(validateEventData('config.set', { ...entry, value: 1, ttl: 5 }))).toEqual([
        'ttl',
      ]);
    });
  });

  describe('config.rolled-back', () => {
    it('accepts a positive whole version', () => {
      expect(validateEventData('config.rolled-back', { ...entry, toVersion: 1 })).toEqual([]);
      expect(
        validateEventData('config.rolled-back', { ...entry, toVersion: 42, reason: 'bad deploy' }),
      ).toEqual([]);
    });

    it.each([[0], [-1], [1.5], ['2'], [null]])('refuses toVersion %p', (toVersion) => {
      expect(fieldsOf(validateEventData('config.rolled-back', { ...entry, toVersion }))).toEqual([
        'toVersion',
      ]);
    });

    it('requires toVersion and takes no value of its own', () => {
      expect(fieldsOf(validateEventData('config.rolled-back', entry))).toEqual(['toVersion']);
      expect(
        fieldsOf(validateEventData('config.rolled-back', { ...entry, toVersion: 1, value: 3 })),
      ).toEqual(['value']);
    });
  });

  describe('config.deleted', () => {
    it('needs only the identifiers and an optional reason', () => {
      expect(validateEventData('config.deleted', { ...entry, reason: 'unused' })).toEqual([]);
      expect(
        fieldsOf(validateEventData('config.deleted', { slug: 'checkout', env: 'prod' })),
      ).toEqual(['key']);
    });
  });
});
