import { generateKeyPairSync } from 'node:crypto';

/**
 * Key settings a server must refuse to start with (docs/protocol.md "Who may
 * connect"): each gives one line on stderr and exit code 2, on every runtime
 * that reads them at start. `secret` is what that line must never show.
 */
export interface BadKeySetting {
  what: string;
  env: Record<string, string>;
  /** The variable the line names. */
  names: string;
  secret: string;
}

const SHORT_SECRET = 'Sh0rt-secret-of-31-bytes-xxxxxx';
const GOOD_SECRET = 'G00d-secret-of-forty-bytes-xxxxxxxxxxxxx';
const ed25519 = generateKeyPairSync('ed25519');
const PUBLIC_PEM = ed25519.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const PRIVATE_PEM = ed25519.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const RSA_1024_PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
/** The base64 body of a PEM: the part that must not be echoed. */
const body = (pem: string) => pem.split('\n')[1]!;

export const BAD_KEY_SETTINGS: BadKeySetting[] = [
  { what: 'an AUTH_SECRET of 31 bytes', env: { AUTH_SECRET: SHORT_SECRET }, names: 'AUTH_SECRET', secret: SHORT_SECRET },
  { what: 'both keys', env: { AUTH_SECRET: GOOD_SECRET, AUTH_PUBLIC_KEY: PUBLIC_PEM }, names: 'AUTH_PUBLIC_KEY', secret: GOOD_SECRET },
  {
    what: 'an AUTH_PUBLIC_KEY that is not a key',
    env: { AUTH_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nNot-a-key-at-all\n-----END PUBLIC KEY-----' },
    names: 'AUTH_PUBLIC_KEY',
    secret: 'Not-a-key-at-all',
  },
  { what: 'a private key as AUTH_PUBLIC_KEY', env: { AUTH_PUBLIC_KEY: PRIVATE_PEM }, names: 'AUTH_PUBLIC_KEY', secret: body(PRIVATE_PEM) },
  { what: 'an RSA AUTH_PUBLIC_KEY of 1024 bits', env: { AUTH_PUBLIC_KEY: RSA_1024_PEM }, names: 'AUTH_PUBLIC_KEY', secret: body(RSA_1024_PEM) },
  {
    what: 'an ALLOWED_ORIGINS entry with a path',
    env: { ALLOWED_ORIGINS: 'https://chat.example.com, https://other.example/app' },
    names: 'ALLOWED_ORIGINS',
    secret: GOOD_SECRET,
  },
];
