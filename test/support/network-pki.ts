import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  generateCrl,
  initOperator,
  initRoot,
  issueLeaf,
  parseCertificatePem,
  revokeCertificate,
  signOperatorCsr,
  type LeafKind,
} from '../../src/pki/index.js';

const secret = { passphrase: 'correct horse battery staple' };

/** A throwaway network PKI on disk: a root, one operator, and leaves issued on demand. */
export interface TestPki {
  readonly dir: string;
  readonly rootPem: string;
  readonly operatorPem: string;
  issue(name: string, kind?: LeafKind, options?: { now?: Date; days?: number }): Promise<{ certChainPem: string; keyPem: string; certPem: string }>;
  revoke(certPem: string): Promise<void>;
  /** Fresh CRLs of the root and the operator, as PEM. */
  crls(): Promise<string[]>;
  cleanup(): void;
}

export async function makeTestPki(suite = 'ecdsa-p256', label = 'Test'): Promise<TestPki> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-pki-'));
  const root = path.join(dir, 'root');
  const op = path.join(dir, 'op1');
  await initRoot({ dir: root, name: `${label} Root CA`, suite, passphrase: secret.passphrase });
  const { csrPem } = initOperator({ dir: op, name: `${label} Operator`, suite, passphrase: secret.passphrase });
  await signOperatorCsr({ caDir: root, csrPem, out: path.join(op, 'ca.pem'), secret });
  const rootPem = readFileSync(path.join(root, 'ca.pem'), 'utf8');
  const operatorPem = readFileSync(path.join(op, 'ca.pem'), 'utf8');
  return {
    dir,
    rootPem,
    operatorPem,
    async issue(name, kind = 'node', options = {}) {
      const out = path.join(dir, `leaf-${name}`);
      await issueLeaf({ caDir: op, out, kind, name, sans: kind === 'node' ? ['127.0.0.1', 'localhost'] : undefined, secret, ...options });
      const certPem = readFileSync(path.join(out, 'cert.pem'), 'utf8');
      return { certPem, certChainPem: certPem + operatorPem, keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
    },
    async revoke(certPem) {
      await revokeCertificate({ caDir: op, cert: parseCertificatePem(certPem), secret });
    },
    async crls() {
      await generateCrl({ caDir: root, out: path.join(dir, 'root.crl'), secret });
      await generateCrl({ caDir: op, out: path.join(dir, 'op.crl'), secret });
      return [readFileSync(path.join(dir, 'root.crl'), 'utf8'), readFileSync(path.join(dir, 'op.crl'), 'utf8')];
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
