import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import type { GovGenesisState } from '../../src/execution/gov/types.js';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { CityNode, parseNodeConfig } from '../../src/node/index.js';
import { parseCertificatePem, readPrivateKeyPem, type ParsedCertificate } from '../../src/pki/index.js';
import type { PrivateKey } from '../../src/crypto/index.js';
import { makeTestPki, type TestPki } from './network-pki.js';

/**
 * One in-process city node that hosts the governance chain `gov` as its only validator, with
 * its gateway: the root and one operator `op1` (test/support/network-pki.ts), an authority org
 * and an op1 admin org issued by op1, and the node `node1` in Beijing.
 */

export interface GovIdentity {
  readonly cert: ParsedCertificate;
  readonly certPem: string;
  readonly keyPem: string;
  readonly privateKey: PrivateKey;
  /** Where cert.pem and key.pem are on disk (a leaf directory). */
  readonly dir: string;
}

export interface GovNode {
  readonly node: CityNode;
  readonly gateway: Gateway;
  readonly url: string;
  readonly pki: TestPki;
  readonly authority: GovIdentity;
  readonly admin: GovIdentity;
  /** The operator CA directory (ca.pem, ca.key; passphrase PKI_PASSPHRASE). */
  readonly operatorDir: string;
  stop(): Promise<void>;
}

export interface GovNodeOptions {
  /** node1's validator power (1): above 2/3 of the total, nodes governance adds need not run. */
  readonly power?: number;
  /** Serve the gateway over HTTPS with a certificate `node1-gateway` of op1 (and op1's CA as its chain). */
  readonly gatewayTls?: boolean;
}

export const PKI_PASSPHRASE = 'correct horse battery staple';

async function identity(pki: TestPki, name: string): Promise<GovIdentity> {
  const leaf = await pki.issue(name, 'org');
  const cert = parseCertificatePem(leaf.certPem);
  return { cert, certPem: leaf.certPem, keyPem: leaf.keyPem, privateKey: readPrivateKeyPem(leaf.keyPem), dir: path.join(pki.dir, `leaf-${name}`) };
}

export async function startGovNode(extraConfig: Record<string, unknown> = {}, options: GovNodeOptions = {}): Promise<GovNode> {
  const pki = await makeTestPki();
  try {
    const leaf = await pki.issue('node1');
    const authority = await identity(pki, 'authority');
    const admin = await identity(pki, 'op1-admin');
    const crls = await pki.crls();
    const dir = path.join(pki.dir, 'node1');
    mkdirSync(dir, { recursive: true });
    const appState: GovGenesisState = {
      version: 1,
      rootCertPem: pki.rootPem,
      authority: { name: 'authority', certPem: authority.certPem },
      operators: [{ name: 'op1', caCertPem: pki.operatorPem, adminCertPems: [admin.certPem] }],
      nodes: [{ certPem: leaf.certPem, operator: 'op1', region: 'Beijing', city: 'Beijing', p2p: '127.0.0.1:1', ...(options.power !== undefined && { power: options.power }) }],
    };
    const publicKey = Buffer.from(readPrivateKeyPem(leaf.keyPem).publicKey.bytes).toString('hex');
    // Certificates are validated at the genesis time: it must be inside their validity.
    const genesis = { chainId: 'gov', suite: 'ecdsa-p256', app: 'gov', time: Date.now(), validators: [{ name: 'node1', publicKey, power: options.power ?? 1 }], appState };
    const files: Record<string, string> = { 'root.pem': pki.rootPem, 'op.pem': pki.operatorPem, 'cert.pem': leaf.certPem, 'key.pem': leaf.keyPem, 'crl0.pem': crls[0]!, 'crl1.pem': crls[1]!, 'gov.json': JSON.stringify(genesis) };
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    const config = parseNodeConfig(
      JSON.stringify({
        name: 'node1',
        dataDir: 'data',
        network: { rootCert: 'root.pem', crls: ['crl0.pem', 'crl1.pem'] },
        tls: { cert: 'cert.pem', chain: ['op.pem'], key: 'key.pem' },
        p2p: { listen: '127.0.0.1:0' },
        http: { listen: '127.0.0.1:0' },
        chains: [{ genesis: 'gov.json' }],
        mempool: { verifyWorkers: 1 },
        ...extraConfig,
      }),
      dir,
    );
    const tls = options.gatewayTls ? await pki.issue('node1-gateway') : undefined;
    const node = await CityNode.start(config, pino({ level: 'silent' }));
    const gateway = await startGateway(node, { listen: '127.0.0.1:0', rest: {}, ...(tls && { tls: { cert: tls.certChainPem, key: tls.keyPem } }) }).catch(async (err: unknown) => {
      await node.stop();
      throw err;
    });
    return {
      node,
      gateway,
      url: `${tls ? 'https' : 'http'}://${gateway.address}`,
      pki,
      authority,
      admin,
      operatorDir: path.join(pki.dir, 'op1'),
      stop: async () => {
        await gateway.close();
        await node.stop();
        pki.cleanup();
      },
    };
  } catch (err) {
    pki.cleanup();
    throw err;
  }
}
