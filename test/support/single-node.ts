import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { readPrivateKeyPem } from '../../src/pki/index.js';
import { CityNode, parseNodeConfig } from '../../src/node/index.js';
import { makeTestPki, type TestPki } from './network-pki.js';

/** One in-process city node that is the only validator of `chains`, for endpoint tests. */
export interface ChainSpec {
  readonly chainId: string;
  readonly app?: 'kv' | 'evm';
  readonly appState?: unknown;
}

export async function startSingleNode(chains: readonly (string | ChainSpec)[], /** Extra top-level node config fields (e.g. `gateway`). */ extraConfig: Record<string, unknown> = {}): Promise<{ node: CityNode; stop: () => Promise<void>; /** The node's PKI, to issue user certificates (removed by stop). */ pki: TestPki }> {
  const pki = await makeTestPki();
  const leaf = await pki.issue('node1');
  const crls = await pki.crls();
  const dir = path.join(pki.dir, 'node1');
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = { 'root.pem': pki.rootPem, 'op.pem': pki.operatorPem, 'cert.pem': leaf.certPem, 'key.pem': leaf.keyPem, 'crl0.pem': crls[0]!, 'crl1.pem': crls[1]! };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const publicKey = Buffer.from(readPrivateKeyPem(leaf.keyPem).publicKey.bytes).toString('hex');
  const specs = chains.map((c) => (typeof c === 'string' ? { chainId: c } : c));
  for (const { chainId, app, appState } of specs) {
    const genesis = { chainId, suite: 'ecdsa-p256', app: app ?? 'kv', time: 0, validators: [{ name: 'node1', publicKey, power: 1 }], ...(appState === undefined ? {} : { appState }) };
    writeFileSync(path.join(dir, `${chainId}.json`), JSON.stringify(genesis));
  }
  const config = parseNodeConfig(
    JSON.stringify({
      name: 'node1',
      dataDir: 'data',
      network: { rootCert: 'root.pem', crls: ['crl0.pem', 'crl1.pem'] },
      tls: { cert: 'cert.pem', chain: ['op.pem'], key: 'key.pem' },
      p2p: { listen: '127.0.0.1:0' },
      http: { listen: '127.0.0.1:0' },
      chains: specs.map((c) => ({ genesis: `${c.chainId}.json` })),
      mempool: { verifyWorkers: 1 },
      ...extraConfig,
    }),
    dir,
  );
  let node: CityNode;
  try {
    node = await CityNode.start(config, pino({ level: 'silent' }));
  } catch (err) {
    pki.cleanup();
    throw err;
  }
  return {
    node,
    pki,
    stop: async () => {
      await node.stop();
      pki.cleanup();
    },
  };
}
