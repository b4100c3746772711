import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  /** Removes both files and their directory. */
  remove(): void;
}

/** A self-signed certificate for 127.0.0.1, made with openssl for this run: a server's certificate and the client's CA at once. */
export function selfSignedCertificate(): TlsCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'chat-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  if (made.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`openssl failed: ${made.stderr}`);
  }
  return { certFile, keyFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
