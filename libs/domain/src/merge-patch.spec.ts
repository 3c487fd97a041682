import { applyMergePatch } from './merge-patch.js';

describe('applyMergePatch', () => {
  it('replaces members the patch names and keeps the others', () => {
    expect(applyMergePatch({ a: 1, b: 2 }, { b: 3 })).toEqual({ a: 1, b: 3 });
  });

  it('removes a member whose patch value is null', () => {
    expect(applyMergePatch({ a: 1, b: 2 }, { b: null })).toEqual({ a: 1 });
  });

  it('merges nested objects recursively', () => {
    expect(applyMergePatch({ a: { x: 1, y: 2 } }, { a: { y: null, z: 3 } })).toEqual({
      a: { x: 1, z: 3 },
    });
  });

  it('replaces arrays whole', () => {
    expect(applyMergePatch({ tags: ['a', 'b'] }, { tags: ['c'] })).toEqual({ tags: ['c'] });
  });

  it('does not modify the target', () => {
    const target = { a: 1 };
    applyMergePatch(target, { a: 2 });
    expect(target).toEqual({ a: 1 });
  });

  it('follows the examples of RFC 7396', () => {
    expect(applyMergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(applyMergePatch({ a: ['b'] }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'foo' }, null)).toBeNull();
    expect(applyMergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
    expect(applyMergePatch([1, 2], { a: 'b', c: null })).toEqual({ a: 'b' });
  });
});
