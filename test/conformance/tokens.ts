import { type CryptoKey, SignJWT, UnsecuredJWT, exportSPKI, generateKeyPair } from 'jose';

/** Tokens for tests, minted with jose as an application's backend would. */

export type PublicKeyAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

export interface Signer {
  readonly alg: 'HS256' | PublicKeyAlgorithm;
  readonly key: CryptoKey | Uint8Array;
}

/** A key pair of this algorithm: the server's AUTH_PUBLIC_KEY (PEM, SPKI) and the issuer's signer. */
export async function keyPair(alg: PublicKeyAlgorithm): Promise<{ publicPem: string; signer: Signer }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { publicPem: await exportSPKI(publicKey), signer: { alg, key: privateKey } };
}

/** An HS256 signer whose key is these UTF-8 bytes (an AUTH_SECRET, or any text used as one). */
export function hmac(secret: string): Signer {
  return { alg: 'HS256', key: new TextEncoder().encode(secret) };
}

export interface Claims {
  sub?: string;
  name?: unknown;
  rooms?: unknown;
  iss?: string;
  aud?: string | string[];
  /** Seconds since the epoch; mint() fills in a minute from now when absent. */
  exp?: number;
  nbf?: number;
  iat?: number;
  [claim: string]: unknown;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A JWT with exactly these claims (exp a minute from now unless given), signed by `signer`. */
export function mint(signer: Signer, claims: Claims): Promise<string> {
  return new SignJWT({ exp: nowSeconds() + 60, ...claims }).setProtectedHeader({ alg: signer.alg, typ: 'JWT' }).sign(signer.key);
}

/** The same claims with `alg: none` and no signature. */
export function unsigned(claims: Claims): string {
  return new UnsecuredJWT({ exp: nowSeconds() + 60, ...claims }).encode();
}
