import { generateKeyPairSync } from 'node:crypto';
import { CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthKeyError, createTokenVerifier, type TokenVerifier } from '../src/auth/token-verifier.ts';
import { ConfigError, parseConfig } from '../src/config/config.ts';
import { ProtocolError } from '../src/protocol/index.ts';
import { type PublicKeyAlgorithm, hmac, keyPair, mint, unsigned } from './conformance/tokens.ts';

/** docs/protocol.md "Who may connect": the one configured key, read once at start, and the tokens it accepts. */
const SECRET = 's'.repeat(32);

/** What the verifier says of a token: its claims, or the code it was refused with. */
async function verdict(verifier: TokenVerifier | undefined, token: string) {
  try {
    return await verifier!.verify(token);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { refused: err.code };
  }
}
const REFUSED = { refused: 'unauthorized' };

describe('createTokenVerifier: the key', () => {
  it('is absent when neither key is set: auth is off', async () => {
    expect(await createTokenVerifier({})).toBeUndefined();
  });

  it('takes an AUTH_SECRET of 32 bytes (UTF-8) as HS256, and refuses 31 bytes, counted as bytes', async () => {
    expect((await createTokenVerifier({ secret: SECRET }))?.algorithm).toBe('HS256');
    expect((await createTokenVerifier({ secret: 'é'.repeat(16) }))?.algorithm).toBe('HS256');
    await expect(createTokenVerifier({ secret: 's'.repeat(31) })).rejects.toThrow(AuthKeyError);
    // 16 characters, 31 bytes.
    await expect(createTokenVerifier({ secret: `${'é'.repeat(15)}a` })).rejects.toThrow(/31 bytes/);
  });

  it('refuses both keys at once', async () => {
    const { publicPem } = await keyPair('EdDSA');
    await expect(createTokenVerifier({ secret: SECRET, publicKey: publicPem })).rejects.toThrow(AuthKeyError);
  });

  it.each([
    ['RS256', 'RSA'],
    ['ES256', 'P-256'],
    ['EdDSA', 'Ed25519'],
  ] as const)('detects %s from an %s public key, also with its line breaks written \\n (as one-line variables hold them)', async (alg, _type) => {
    const { publicPem } = await keyPair(alg);
    expect((await createTokenVerifier({ publicKey: publicPem }))?.algorithm).toBe(alg);
    expect((await createTokenVerifier({ publicKey: publicPem.replace(/\n/g, '\\n') }))?.algorithm).toBe(alg);
  });

  it.each([
    ['not a PEM', () => 'hello'],
    ['a PEM whose body is not base64 DER', () => '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----'],
    ['a P-384 key', () => pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey)],
    ['an X25519 key', () => pem(generateKeyPairSync('x25519').publicKey)],
    ['an RSA key of 1024 bits (jose would refuse every RS256 token with it)', () => pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)],
  ])('refuses %s as AUTH_PUBLIC_KEY, without echoing it', async (_what, key) => {
    const publicKey = key();
    const refusal = await createTokenVerifier({ publicKey }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(AuthKeyError);
    expect((refusal as Error).message).toMatch(/^AUTH_PUBLIC_KEY /);
    expect((refusal as Error).message).not.toContain(publicKey.split('\n')[1] ?? publicKey);
  });

  it('refuses a private key pasted as AUTH_PUBLIC_KEY, and never echoes it', async () => {
    const privatePem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const refusal = (await createTokenVerifier({ publicKey: privatePem }).catch((err: unknown) => err)) as Error;
    expect(refusal).toBeInstanceOf(AuthKeyError);
    expect(refusal.message).not.toContain(privatePem.split('\n')[1]!);
  });
});

describe('createTokenVerifier: the tokens', () => {
  it('accepts an HS256 token signed with the secret, and refuses a malformed, a badly signed, an alg: none one', async () => {
    const verifier = await createTokenVerifier({ secret: SECRET });
    expect(await verdict(verifier, await mint(hmac(SECRET), { sub: 'u1', name: 'Ann' }))).toMatchObject({ sub: 'u1', name: 'Ann' });
    expect(await verdict(verifier, 'not-a-jwt')).toEqual(REFUSED);
    expect(await verdict(verifier, 'a.b.c')).toEqual(REFUSED);
    expect(await verdict(verifier, await mint(hmac('t'.repeat(32)), { sub: 'u1' }))).toEqual(REFUSED);
    expect(await verdict(verifier, unsigned({ sub: 'u1' }))).toEqual(REFUSED);
  });

  it('refuses a signed payload that is not JSON, and checks the claims of one that is', async () => {
    const verifier = await createTokenVerifier({ secret: SECRET, issuer: 'app' });
    const notJson = await new CompactSign(new TextEncoder().encode('hello')).setProtectedHeader({ alg: 'HS256' }).sign(hmac(SECRET).key);
    expect(await verdict(verifier, notJson)).toEqual(REFUSED);
    expect(await verdict(verifier, await mint(hmac(SECRET), { sub: 'u1', iss: 'other' }))).toEqual(REFUSED);
    expect(await verdict(verifier, await mint(hmac(SECRET), { sub: 'u1', iss: 'app' }))).toMatchObject({ sub: 'u1' });
  });

  it('refuses a token with an unencoded payload (b64: false): a signature made for something else', async () => {
    const verifier = await createTokenVerifier({ secret: SECRET });
    const claims = JSON.stringify({ sub: 'u1', exp: Math.floor(Date.now() / 1000) + 60 });
    const { FlattenedSign } = await import('jose');
    const jws = await new FlattenedSign(new TextEncoder().encode(claims))
      .setProtectedHeader({ alg: 'HS256', b64: false, crit: ['b64'] })
      .sign(hmac(SECRET).key);
    expect(await verdict(verifier, `${jws.protected}.${claims}.${jws.signature}`)).toEqual(REFUSED);
  });

  it('checks exp against the time it is given', async () => {
    const verifier = await createTokenVerifier({ secret: SECRET });
    const token = await mint(hmac(SECRET), { sub: 'u1', exp: 2_000_000_000 });
    expect(await verdict(verifier, token)).toMatchObject({ exp: 2_000_000_000 });
    await expect(verifier!.verify(token, 2_000_000_000_000)).rejects.toThrow(/expired/);
    await expect(verifier!.verify(token, 1_999_999_999_999)).resolves.toMatchObject({ sub: 'u1' });
  });

  const PUBLIC: PublicKeyAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];
  it.each(PUBLIC)('a %s server accepts its own tokens only: not another key type, an HS256 one, or its PEM used as an HMAC secret', async (alg) => {
    const own = await keyPair(alg);
    const verifier = await createTokenVerifier({ publicKey: own.publicPem });
    expect(await verdict(verifier, await mint(own.signer, { sub: 'u1' }))).toMatchObject({ sub: 'u1' });
    expect(await verdict(verifier, await mint((await keyPair(alg)).signer, { sub: 'u1' }))).toEqual(REFUSED);
    for (const other of PUBLIC.filter((a) => a !== alg)) {
      expect(await verdict(verifier, await mint((await keyPair(other)).signer, { sub: 'u1' }))).toEqual(REFUSED);
    }
    expect(await verdict(verifier, await mint(hmac(SECRET), { sub: 'u1' }))).toEqual(REFUSED);
    expect(await verdict(verifier, await mint(hmac(own.publicPem), { sub: 'u1' }))).toEqual(REFUSED);
    expect(await verdict(verifier, await mint(hmac(own.publicPem.trim()), { sub: 'u1' }))).toEqual(REFUSED);
    expect(await verdict(verifier, unsigned({ sub: 'u1' }))).toEqual(REFUSED);
  });
});

describe('parseConfig: the key settings', () => {
  const parse = (env: Record<string, string>) => parseConfig(env, { instanceId: 't' });

  it('reads AUTH_SECRET, AUTH_PUBLIC_KEY, AUTH_ISSUER and AUTH_AUDIENCE; none means no key', () => {
    expect(parse({}).auth).toEqual({ secret: undefined, publicKey: undefined, issuer: undefined, audience: undefined });
    expect(parse({ AUTH_SECRET: SECRET, AUTH_ISSUER: 'app', AUTH_AUDIENCE: 'chat' }).auth).toEqual({
      secret: SECRET,
      publicKey: undefined,
      issuer: 'app',
      audience: 'chat',
    });
  });

  it.each([
    ['AUTH_SECRET of 31 bytes', { AUTH_SECRET: 'x'.repeat(31) }],
    ['both keys', { AUTH_SECRET: SECRET, AUTH_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----' }],
  ])('refuses %s with a line naming the setting, never echoing the secret', (_what, env) => {
    let refusal: unknown;
    try {
      parse(env);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as Error).message).toMatch(/AUTH_SECRET/);
    expect((refusal as Error).message).not.toContain(env.AUTH_SECRET);
  });
});

function pem(key: import('node:crypto').KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string;
}
