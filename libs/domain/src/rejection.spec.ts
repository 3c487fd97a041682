import { Rejection, assertExpectedVersion, versionConflict } from './rejection.js';
import { parseIfMatch, etagMatches, versionEtag } from './etag.js';

describe('assertExpectedVersion', () => {
  it('lets a write without an expectation through', () => {
    expect(() => assertExpectedVersion('service x', undefined, 4)).not.toThrow();
  });

  it('lets a write through when the version has not moved', () => {
    expect(() => assertExpectedVersion('service x', 4, 4)).not.toThrow();
  });

  it('rejects a stale expectation as a conflict that names both versions', () => {
    try {
      assertExpectedVersion('service x', 3, 4);
      throw new Error('expected a rejection');
    } catch (error) {
      expect(error).toBeInstanceOf(Rejection);
      expect((error as Rejection).code).toBe('conflict');
      expect((error as Rejection).message).toBe(
        'service x is at version 4, the write expected version 3',
      );
    }
  });

  it('rejects an expectation on something that does not exist yet', () => {
    expect(() => assertExpectedVersion('policy', 1, undefined)).toThrow(/version none/);
  });
});

describe(versionConflict.name, () => {
  it.each<[number | undefined, number | undefined, string | undefined]>([
    [undefined, 4, undefined],
    [4, 4, undefined],
    [3, 4, 'service x is at version 4, the write expected version 3'],
    [1, undefined, 'service x is at version none, the write expected version 1'],
  ])(
    'answers, for an expectation of %p at version %p, the conflict %p',
    (expected, current, message) => {
      const conflict = versionConflict('service x', expected, current);
      expect(conflict?.message).toBe(message);
      if (conflict) expect(conflict.code).toBe('conflict');
    },
  );
});

describe('ETags', () => {
  it('quotes a version', () => {
    expect(versionEtag(7)).toBe('"7"');
  });

  it.each([
    ['"3"', 3],
    ['W/"3"', 3],
    ['3', 3],
    [undefined, undefined],
    ['*', undefined],
    ['"abc"', 'invalid'],
  ])('reads If-Match %p as %p', (header, expected) => {
    expect(parseIfMatch(header)).toBe(expected);
  });

  it('matches If-None-Match lists, weak tags and *', () => {
    expect(etagMatches('"1", "2"', '"2"')).toBe(true);
    expect(etagMatches('W/"2"', '"2"')).toBe(true);
    expect(etagMatches('*', '"9"')).toBe(true);
    expect(etagMatches('"1"', '"2"')).toBe(false);
    expect(etagMatches(undefined, '"2"')).toBe(false);
  });
});
