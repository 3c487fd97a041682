import { DEVELOPMENT_SECRETS_KEY, SecretCipher, loadSecretsKey } from './secret-cipher.js';
import { isEncryptedValue } from '#domain/secret-value';

const key = (byte: number) => Buffer.alloc(32, byte);

describe(SecretCipher.name, () => {
  const cipher = new SecretCipher(key(1));

  describe('encrypt', () => {
    it('round-trips any JSON value, keys like __proto__ included', () => {
      const value = JSON.parse(
        '{"user":"svc","password":"hunter2","__proto__":{"x":1},"n":[1,null]}',
      );
      const opened = cipher.open(cipher.encrypt(value));
      expect(opened).toEqual({ ok: true, value });
      expect(Object.keys((opened as { value: object }).value)).toContain('__proto__');
    });

    it('never holds the plaintext and uses a new 96-bit IV for every value', () => {
      const first = cipher.encrypt('hunter2');
      const second = cipher.encrypt('hunter2');
      expect(isEncryptedValue(first)).toBe(true);
      expect(JSON.stringify(first)).not.toContain('hunter2');
      expect(Buffer.from(first.iv, 'base64')).toHaveLength(12);
      expect(Buffer.from(first.tag, 'base64')).toHaveLength(16);
      expect(first.iv).not.toBe(second.iv);
      expect(first.ciphertext).not.toBe(second.ciphertext);
    });

    it('refuses to encrypt without a key', () => {
      expect(() => new SecretCipher(undefined).encrypt('x')).toThrow(/WARDEN_SECRETS_KEY/);
    });
  });

  describe('open', () => {
    it('does not open a value encrypted under another key', () => {
      expect(new SecretCipher(key(2)).open(cipher.encrypt('hunter2'))).toEqual({ ok: false });
      expect(new SecretCipher(undefined).open(cipher.encrypt('hunter2'))).toEqual({ ok: false });
    });

    it('does not open an altered ciphertext, an altered tag or a truncated tag', () => {
      const sealed = cipher.encrypt({ password: 'hunter2' });
      const flip = (b64: string) => {
        const bytes = Buffer.from(b64, 'base64');
        bytes[0] ^= 1;
        return bytes.toString('base64');
      };
      expect(cipher.open({ ...sealed, ciphertext: flip(sealed.ciphertext) })).toEqual({
        ok: false,
      });
      expect(cipher.open({ ...sealed, tag: flip(sealed.tag) })).toEqual({ ok: false });
      const short = Buffer.from(sealed.tag, 'base64').subarray(0, 4).toString('base64');
      expect(cipher.open({ ...sealed, tag: short })).toEqual({ ok: false });
    });
  });
});

describe(loadSecretsKey.name, () => {
  const load = (env: Record<string, string>, production: boolean) => {
    const problems: string[] = [];
    return { key: loadSecretsKey(env, production, problems), problems };
  };
  const hex = 'ab'.repeat(32);

  it('reads 32 bytes written as 64 hex characters', () => {
    expect(load({ WARDEN_SECRETS_KEY: hex }, true)).toEqual({
      key: Buffer.from(hex, 'hex'),
      problems: [],
    });
  });

  it.each(['ab'.repeat(31), 'zz'.repeat(32), hex + '00'])('names the variable for %p', (raw) => {
    expect(load({ WARDEN_SECRETS_KEY: raw }, false).problems).toEqual([
      expect.stringContaining('WARDEN_SECRETS_KEY'),
    ]);
  });

  it('uses the development key outside production, none in production, and refuses it there', () => {
    expect(load({}, false).key).toEqual(Buffer.from(DEVELOPMENT_SECRETS_KEY, 'hex'));
    expect(load({}, true)).toEqual({ key: undefined, problems: [] });
    expect(load({ WARDEN_SECRETS_KEY: DEVELOPMENT_SECRETS_KEY }, true).problems).toEqual([
      expect.stringContaining('development key'),
    ]);
  });
});
