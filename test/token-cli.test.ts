import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../src/auth/token-verifier.ts';

/** `npm run token` as a process, its tokens checked by the server's own verifier. */
const ROOT = new URL('..', import.meta.url).pathname;
const SECRET = 'a-secret-of-more-than-32-bytes-for-tests';
const dir = mkdtempSync(join(tmpdir(), 'token-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI from its source through tsx (`npm run token` runs the built dist/server/token-cli.js, tested through npm below); AUTH_* come only from `env`. */
function token(args: string[], env: Record<string, string> = {}, command = [process.execPath, '--import', 'tsx', 'src/node/token-cli.ts']): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AUTH_')));
  return new Promise((resolve) => {
    execFile(command[0]!, [...command.slice(1), ...args], { cwd: ROOT, env: { ...clean, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

describe('npm run token', () => {
  it('through npm: prints an HS256 token signed with AUTH_SECRET that the server accepts, with the claims asked for', async () => {
    const run = await token(['--sub', 'u1', '--name', 'alice', '--room', 'team-*', '--room', 'lobby', '--ttl', '1h'], { AUTH_SECRET: SECRET }, [
      'npm',
      'run',
      '-s',
      'token',
      '--',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const jwt = run.stdout.trim();
    expect(run.stdout).toBe(`${jwt}\n`);
    const verifier = await createTokenVerifier({ secret: SECRET });
    const claims = await verifier!.verify(jwt);
    expect(claims).toMatchObject({ sub: 'u1', name: 'alice', rooms: ['team-*', 'lobby'] });
    const now = Date.now() / 1000;
    expect(claims.exp).toBeGreaterThan(now + 3600 - 10);
    expect(claims.exp).toBeLessThanOrEqual(now + 3600 + 1);
    expect(JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8'))).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('reads AUTH_SECRET as the server does (its bytes as given, spaces included); defaults: no name, every room, 1 hour, iss and aud from the environment', async () => {
    const run = await token(['--sub', 'u2'], { AUTH_SECRET: ` ${SECRET} `, AUTH_ISSUER: 'https://app.example', AUTH_AUDIENCE: 'chat' });
    expect(run.code).toBe(0);
    const verifier = await createTokenVerifier({ secret: ` ${SECRET} `, issuer: 'https://app.example', audience: 'chat' });
    expect(await verifier!.verify(run.stdout.trim())).toMatchObject({ sub: 'u2', name: 'u2', rooms: undefined });
    const claims = claimsOf(run.stdout.trim());
    expect(claims.exp - claims.iat).toBe(3600);
    expect([claims.iss, claims.aud]).toEqual(['https://app.example', 'chat']);
  });

  it.each([
    ['30s', 30],
    ['10m', 600],
    ['7d', 604_800],
  ])('--ttl %s lasts %i seconds; --iss and --aud win over the environment', async (ttl, seconds) => {
    const run = await token(['--sub', 'u1', '--ttl', ttl, '--iss', 'me', '--aud', 'you'], { AUTH_SECRET: SECRET, AUTH_ISSUER: 'other' });
    const claims = claimsOf(run.stdout.trim());
    expect([claims.exp - claims.iat, claims.iss, claims.aud]).toEqual([seconds, 'me', 'you']);
  });

  it.each([
    ['RS256', 'RSA'],
    ['ES256', 'P-256'],
    ['EdDSA', 'Ed25519'],
  ] as const)('signs %s with a PKCS8 %s --private-key, accepted by a server with its public key', async (alg, _type) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const file = join(dir, `${alg}.pem`);
    writeFileSync(file, await exportPKCS8(privateKey));
    const spki = await exportSPKI(publicKey);
    const run = await token(['--sub', 'u1', '--name', 'alice', '--private-key', file], { AUTH_PUBLIC_KEY: spki });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const verifier = await createTokenVerifier({ publicKey: spki });
    expect(verifier!.algorithm).toBe(alg);
    expect(await verifier!.verify(run.stdout.trim())).toMatchObject({ sub: 'u1', name: 'alice' });
  });

  it('prints its usage for --help, and exit code 0', async () => {
    const run = await token(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run -s token -- --sub/);
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['no --sub', [], { AUTH_SECRET: SECRET }, /--sub <user id> is required/],
    ['an unknown option', ['--sub', 'u1', '--rooms', 'x'], { AUTH_SECRET: SECRET }, /Unknown option '--rooms'/],
    ['a positional argument', ['--sub', 'u1', 'extra'], { AUTH_SECRET: SECRET }, /positional/],
    ['a bad --ttl', ['--sub', 'u1', '--ttl', '90'], { AUTH_SECRET: SECRET }, /--ttl "90" is not a duration/],
    ['a bad --room', ['--sub', 'u1', '--room', 'a/b'], { AUTH_SECRET: SECRET }, /--room "a\/b" is not a room name/],
    ['a name the server refuses', ['--sub', 'u1', '--name', 'x'.repeat(33)], { AUTH_SECRET: SECRET }, /server would refuse it: token name/],
    ['no key', ['--sub', 'u1'], {}, /no key: set AUTH_SECRET/],
    ['a short AUTH_SECRET', ['--sub', 'u1'], { AUTH_SECRET: 'short' }, /AUTH_SECRET is too short/],
    ['AUTH_PUBLIC_KEY without --private-key', ['--sub', 'u1'], { AUTH_PUBLIC_KEY: 'x' }, /give its private half with --private-key/],
    ['a --private-key that is not there', ['--sub', 'u1', '--private-key', '/nonexistent.pem'], {}, /--private-key \/nonexistent\.pem: ENOENT/],
    ['AUTH_SECRET and --private-key', ['--sub', 'u1', '--private-key', '/nonexistent.pem'], { AUTH_SECRET: SECRET }, /use one/],
  ])('refuses %s with one line on stderr and exit code 2', async (_, args, env, message) => {
    const run = await token(args, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^token: [^\n]+\n$/);
    expect(run.stderr).toMatch(message);
  });

  it('refuses a private key that is not the pair of AUTH_PUBLIC_KEY, of a type the server does not take, or too short', async () => {
    const ours = await generateKeyPair('ES256', { extractable: true });
    const theirs = await generateKeyPair('ES256', { extractable: true });
    const p384 = await generateKeyPair('ES384', { extractable: true });
    writeFileSync(join(dir, 'ours.pem'), await exportPKCS8(ours.privateKey));
    writeFileSync(join(dir, 'p384.pem'), await exportPKCS8(p384.privateKey));
    const mismatch = await token(['--sub', 'u1', '--private-key', join(dir, 'ours.pem')], { AUTH_PUBLIC_KEY: await exportSPKI(theirs.publicKey) });
    expect([mismatch.code, mismatch.stderr]).toEqual([2, 'token: --private-key is not the private half of AUTH_PUBLIC_KEY\n']);
    const curve = await token(['--sub', 'u1', '--private-key', join(dir, 'p384.pem')]);
    expect([curve.code, curve.stderr]).toEqual([2, 'token: --private-key is ec (secp384r1): the server takes RSA, P-256 or Ed25519\n']);
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(join(dir, 'rsa1024.pem'), short);
    const rsa = await token(['--sub', 'u1', '--private-key', join(dir, 'rsa1024.pem')]);
    expect([rsa.code, rsa.stderr]).toEqual([2, 'token: --private-key is an RSA key of 1024 bits: RS256 needs at least 2048\n']);
  });
});
