import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT, importPKCS8 } from 'jose';
import { type TokenAlgorithm, createTokenVerifier } from '../auth/token-verifier.ts';
import { ProtocolError } from '../protocol/codes.ts';
import { ROOM_PATTERN } from '../protocol/limits.ts';

/**
 * `npm run token`: prints a token the configured server accepts, so that auth
 * can be tried by hand. Signs with AUTH_SECRET (HS256), read as the server
 * reads it, or with `--private-key`, the private half of AUTH_PUBLIC_KEY.
 */
const USAGE = `usage: npm run -s token -- --sub <user id> [--name <display name>] [--room <room or prefix*>]... [--ttl 1h]
                      [--iss <issuer>] [--aud <audience>] [--private-key <file.pem>]

Prints a JWT for the chat server. It is signed with AUTH_SECRET (HS256) from the
environment, or, for a server configured with AUTH_PUBLIC_KEY, with --private-key:
a PKCS8 PEM of RSA (RS256), P-256 (ES256) or Ed25519 (EdDSA).

  --sub          the user id (required): "user" on every member object
  --name         the display name (default: the user id)
  --room         a room it grants, or a prefix followed by *; repeat for more (default: every room)
  --ttl          how long it is valid: 30s, 10m, 1h, 7d (default 1h)
  --iss, --aud   issuer and audience (default: AUTH_ISSUER, AUTH_AUDIENCE)`;

/** Bad usage or an unusable key: one line on stderr, exit code 2. */
class UsageError extends Error {}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** As the server reads a variable: trimmed, and empty counts as unset. */
function env(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === '' ? undefined : value;
}

function ttlSeconds(text: string): number {
  const match = /^([0-9]{1,9})([smhd])$/.exec(text);
  const seconds = match ? Number(match[1]) * TTL_UNITS[match[2]!]! : 0;
  if (seconds <= 0) throw new UsageError(`--ttl ${JSON.stringify(text)} is not a duration such as 30s, 10m, 1h or 7d`);
  return seconds;
}

function checkRoom(entry: string): string {
  const room = entry.endsWith('*') ? entry.slice(0, -1) : entry;
  // A bare `*` is a prefix grant of every room, which the protocol allows.
  if (room === '' && entry === '*') return entry;
  if (!ROOM_PATTERN.test(room)) throw new UsageError(`--room ${JSON.stringify(entry)} is not a room name or a prefix followed by *`);
  return entry;
}

/** The signing key and the public key that checks it; only the server's own algorithms. */
async function signingKey(privateKeyFile: string | undefined) {
  // The secret's bytes as given, spaces included, as the server keys them (src/config/config.ts).
  const secret = env('AUTH_SECRET') === undefined ? undefined : process.env.AUTH_SECRET;
  if (privateKeyFile !== undefined && secret !== undefined) {
    throw new UsageError('AUTH_SECRET is set and --private-key is given: a server has one key, use one');
  }
  if (secret !== undefined) return { algorithm: 'HS256' as const, key: new TextEncoder().encode(secret), check: { secret } };
  if (privateKeyFile === undefined) {
    throw new UsageError(
      env('AUTH_PUBLIC_KEY')
        ? 'AUTH_PUBLIC_KEY is set, so the server only checks tokens: give its private half with --private-key <file.pem>'
        : 'no key: set AUTH_SECRET as the server has it, or give --private-key <file.pem>',
    );
  }
  let pem: string;
  let keyObject: KeyObject;
  try {
    pem = readFileSync(privateKeyFile, 'utf8');
    keyObject = createPrivateKey(pem);
  } catch (err) {
    throw new UsageError(`--private-key ${privateKeyFile}: ${(err as Error).message.split('\n')[0]}`);
  }
  const algorithm = algorithmOf(keyObject);
  let key: CryptoKey;
  try {
    key = await importPKCS8(pem, algorithm);
  } catch {
    throw new UsageError(`--private-key ${privateKeyFile}: not a PKCS8 PEM ("-----BEGIN PRIVATE KEY-----"); openssl pkcs8 -topk8 -nocrypt converts one`);
  }
  const publicKey = createPublicKey(keyObject).export({ type: 'spki', format: 'pem' }) as string;
  return { algorithm, key, check: { publicKey } };
}

function algorithmOf(key: KeyObject): Exclude<TokenAlgorithm, 'HS256'> {
  if (key.asymmetricKeyType === 'rsa') {
    // As the server's verifier: jose signs and checks RS256 only with 2048 bits or more.
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new UsageError(`--private-key is an RSA key of ${bits} bits: RS256 needs at least 2048`);
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new UsageError(`--private-key is ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}: the server takes RSA, P-256 or Ed25519`);
}

async function mint(argv: string[]): Promise<string | undefined> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        sub: { type: 'string' },
        name: { type: 'string' },
        room: { type: 'string', multiple: true },
        ttl: { type: 'string', default: '1h' },
        iss: { type: 'string' },
        aud: { type: 'string' },
        'private-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]}; --help shows the options`);
  }
  if (values.help) return undefined;
  if (values.sub === undefined) throw new UsageError('--sub <user id> is required; --help shows the options');
  const ttl = ttlSeconds(values.ttl);
  const rooms = values.room?.map(checkRoom);
  const issuer = values.iss ?? env('AUTH_ISSUER');
  const audience = values.aud ?? env('AUTH_AUDIENCE');
  const { algorithm, key, check } = await signingKey(values['private-key']);

  const claims: Record<string, unknown> = {};
  if (values.name !== undefined) claims.name = values.name;
  if (rooms !== undefined) claims.rooms = rooms;
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: algorithm, typ: 'JWT' }).setSubject(values.sub).setIssuedAt().setExpirationTime(`${ttl}s`);
  if (issuer !== undefined) jwt.setIssuer(issuer);
  if (audience !== undefined) jwt.setAudience(audience);
  const token = await jwt.sign(key);

  // The server's own check, so that a token it would refuse (a bad sub or name, a key that is not AUTH_PUBLIC_KEY's pair) is never printed.
  await verifyAsServer(token, { ...check, issuer, audience });
  const configured = env('AUTH_PUBLIC_KEY');
  if (configured !== undefined) {
    await verifyAsServer(token, { publicKey: configured, issuer, audience }, '--private-key is not the private half of AUTH_PUBLIC_KEY');
  }
  return token;
}

async function verifyAsServer(token: string, settings: Parameters<typeof createTokenVerifier>[0], signatureProblem?: string): Promise<void> {
  try {
    await (await createTokenVerifier(settings))!.verify(token);
  } catch (err) {
    if (err instanceof ProtocolError) throw new UsageError(signatureProblem && /not signed/.test(err.message) ? signatureProblem : `the server would refuse it: ${err.message}`);
    throw new UsageError((err as Error).message);
  }
}

try {
  const token = await mint(process.argv.slice(2));
  console.log(token ?? USAGE);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`token: ${err.message}`);
  process.exitCode = 2;
}
