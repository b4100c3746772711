import { compactVerify, importSPKI, errors as joseErrors } from 'jose';
import { ProtocolError } from '../protocol/codes.ts';
import { type ClaimRules, type TokenClaims, checkClaims } from './claims.ts';

/** The key settings, as read from the environment (AUTH_SECRET or AUTH_PUBLIC_KEY, AUTH_ISSUER, AUTH_AUDIENCE). */
export interface AuthSettings extends ClaimRules {
  secret?: string;
  publicKey?: string;
}

export type TokenAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'EdDSA';

/** Checks tokens against the one configured key. */
export interface TokenVerifier {
  readonly algorithm: TokenAlgorithm;
  /** The token's claims, or a rejection with a 401 ProtocolError. */
  verify(token: string, nowMs?: number): Promise<TokenClaims>;
}

/** A key setting that cannot be used: the start is refused with this one line. */
export class AuthKeyError extends Error {
  override name = 'AuthKeyError';
}

const PUBLIC_KEY_ALGORITHMS: readonly TokenAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];
/** The smallest RSA modulus jose verifies RS256 with. */
const MIN_RSA_BITS = 2048;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * The verifier for the configured key, or undefined when there is none (auth
 * off). Only the key's own algorithm is accepted, so `alg: none`, an HS256
 * token against a public key (its PEM used as an HMAC secret) and any other
 * algorithm fail the signature check. Throws AuthKeyError for a key that
 * cannot be read.
 */
export async function createTokenVerifier(settings: AuthSettings): Promise<TokenVerifier | undefined> {
  const rules: ClaimRules = { issuer: settings.issuer, audience: settings.audience };
  if (settings.secret !== undefined && settings.publicKey !== undefined) {
    throw new AuthKeyError('AUTH_SECRET and AUTH_PUBLIC_KEY are both set: set one');
  }
  if (settings.secret !== undefined) {
    const key = textEncoder.encode(settings.secret);
    if (key.length < 32) throw new AuthKeyError(`AUTH_SECRET is too short: ${key.length} bytes, at least 32 are needed`);
    return verifier('HS256', key, rules);
  }
  if (settings.publicKey !== undefined) {
    const pem = settings.publicKey.replace(/\\n/g, '\n').trim();
    for (const algorithm of PUBLIC_KEY_ALGORITHMS) {
      let key: CryptoKey;
      try {
        key = await importSPKI(pem, algorithm);
      } catch {
        continue; // Not a key of this algorithm's type: try the next.
      }
      // jose refuses RS256 with a modulus under 2048 bits at every verify: refuse the start instead.
      const bits = (key.algorithm as { modulusLength?: number }).modulusLength;
      if (bits !== undefined && bits < MIN_RSA_BITS) {
        throw new AuthKeyError(`AUTH_PUBLIC_KEY is an RSA key of ${bits} bits: RS256 needs at least ${MIN_RSA_BITS}`);
      }
      return verifier(algorithm, key, rules);
    }
    throw new AuthKeyError('AUTH_PUBLIC_KEY is not a PEM public key (SPKI) of RSA, P-256 or Ed25519');
  }
  return undefined;
}

function verifier(algorithm: TokenAlgorithm, key: CryptoKey | Uint8Array, rules: ClaimRules): TokenVerifier {
  return {
    algorithm,
    async verify(token, nowMs = Date.now()) {
      let payload: Uint8Array;
      try {
        let protectedHeader: { b64?: boolean };
        ({ payload, protectedHeader } = await compactVerify(token, key, { algorithms: [algorithm] }));
        // An unencoded payload (RFC 7797) is a detached signature made with the key for something else, never a JWT.
        if (protectedHeader.b64 === false) throw new ProtocolError('unauthorized', 'token is not a JWT (b64: false)');
      } catch (err) {
        if (err instanceof ProtocolError) throw err;
        if (err instanceof joseErrors.JOSEError || err instanceof TypeError) {
          throw new ProtocolError('unauthorized', 'token is malformed or not signed with the configured key');
        }
        throw err;
      }
      let claims: unknown;
      try {
        claims = JSON.parse(textDecoder.decode(payload));
      } catch {
        throw new ProtocolError('unauthorized', 'token payload is not JSON');
      }
      return checkClaims(claims, nowMs, rules);
    },
  };
}
