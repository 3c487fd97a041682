import { parseTokensFile, tokenDigest } from './access-tokens.js';

const digest = tokenDigest('a-token-of-at-least-24-characters');

describe('parseTokensFile', () => {
  it('keys each grant by the digest and keeps its name, role and scopes', () => {
    const parsed = parseTokensFile(
      JSON.stringify({
        tokens: [
          {
            name: 'payments-ci',
            sha256: digest.toUpperCase(),
            role: 'writer',
            teams: ['payments'],
            envs: ['dev', 'staging'],
            scopes: ['secrets'],
          },
        ],
      }),
    );
    expect(parsed.ok && parsed.grants.get(digest)).toEqual({
      role: 'writer',
      actor: 'payments-ci',
      teams: ['payments'],
      envs: ['dev', 'staging'],
      scopes: ['secrets'],
    });
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['no tokens', '{"tokens":[]}', /at least one token/],
    ['a bad digest', '{"tokens":[{"name":"a","sha256":"abc","role":"writer"}]}', /sha256/],
    ['an unknown role', `{"tokens":[{"name":"a","sha256":"${digest}","role":"root"}]}`, /role/],
    [
      'an unknown field',
      `{"tokens":[{"name":"a","sha256":"${digest}","role":"reader","token":"x"}]}`,
      /token is not a known field/,
    ],
    [
      'an unknown scope',
      `{"tokens":[{"name":"a","sha256":"${digest}","role":"reader","scopes":["all"]}]}`,
      /scopes/,
    ],
    [
      'a digest used twice',
      `{"tokens":[{"name":"a","sha256":"${digest}","role":"reader"},{"name":"b","sha256":"${digest}","role":"admin"}]}`,
      /used twice/,
    ],
  ])('refuses %s with a message that says why', (_case, text, message) => {
    const parsed = parseTokensFile(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problems.join('\n')).toMatch(message);
  });
});
