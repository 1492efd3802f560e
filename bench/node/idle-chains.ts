/**
 * What an idle app chain costs a city node: CPU time and memory of one node process hosting 1
 * chain and then N chains, none of them receiving transactions, measured in the same run.
 *   node --import tsx bench/node/idle-chains.ts [N=200] [seconds=5]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { getSuite } from '../../src/crypto/index.js';
import { readPrivateKeyPem } from '../../src/pki/index.js';
import { CityNode, parseNodeConfig } from '../../src/node/index.js';
import { makeTestPki } from '../../test/support/network-pki.js';

const chains = Number(process.argv[2] ?? 200);
const seconds = Number(process.argv[3] ?? 5);

const pki = await makeTestPki();
const leaf = await pki.issue('node1');
const crls = await pki.crls();
const dir = path.join(pki.dir, 'node');
mkdirSync(dir, { recursive: true });
const files = { root: 'root.pem', op: 'op.pem', cert: 'cert.pem', key: 'key.pem', crl0: 'crl0.pem', crl1: 'crl1.pem' };
writeFileSync(path.join(dir, files.root), pki.rootPem);
writeFileSync(path.join(dir, files.op), pki.operatorPem);
writeFileSync(path.join(dir, files.cert), leaf.certPem);
writeFileSync(path.join(dir, files.key), leaf.keyPem);
writeFileSync(path.join(dir, files.crl0), crls[0]!);
writeFileSync(path.join(dir, files.crl1), crls[1]!);
const key = readPrivateKeyPem(leaf.keyPem);
const publicKey = Buffer.from(key.publicKey.bytes).toString('hex');
void getSuite;

async function measure(count: number): Promise<{ cpuMsPerSecond: number; rssMiB: number; heapMiB: number }> {
  const data = path.join(dir, `data-${count}`);
  const genesis = Array.from({ length: count }, (_, i) => {
    const file = path.join(dir, `g-${count}-${i}.json`);
    writeFileSync(file, JSON.stringify({ chainId: `app-${i}`, suite: 'ecdsa-p256', app: 'kv', time: 0, validators: [{ name: 'node1', publicKey, power: 1 }] }));
    return { genesis: file };
  });
  const config = parseNodeConfig(
    JSON.stringify({
      name: 'node1',
      dataDir: data,
      network: { rootCert: files.root, crls: [files.crl0, files.crl1] },
      tls: { cert: files.cert, chain: [files.op], key: files.key },
      p2p: { listen: '127.0.0.1:0' },
      http: { listen: '127.0.0.1:0' },
      chains: genesis,
      mempool: { verifyWorkers: 1 },
    }),
    dir,
  );
  const node = await CityNode.start(config, pino({ level: 'silent' }));
  await new Promise((r) => setTimeout(r, 1000));
  global.gc?.();
  const before = process.cpuUsage();
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(before);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const mem = process.memoryUsage();
  await node.stop();
  rmSync(data, { recursive: true, force: true });
  return { cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / wall, rssMiB: mem.rss / 2 ** 20, heapMiB: mem.heapUsed / 2 ** 20 };
}

const one = await measure(1);
const many = await measure(chains);
pki.cleanup();
const perChainKiB = ((many.heapMiB - one.heapMiB) / (chains - 1)) * 1024;
console.log(`idle city node, ${seconds} s each, one process (2 cores, Node ${process.version})`);
console.log(`| chains | CPU ms per second | RSS MiB | heap MiB |`);
console.log(`| ---: | ---: | ---: | ---: |`);
console.log(`| 1 | ${one.cpuMsPerSecond.toFixed(2)} | ${one.rssMiB.toFixed(0)} | ${one.heapMiB.toFixed(1)} |`);
console.log(`| ${chains} | ${many.cpuMsPerSecond.toFixed(2)} | ${many.rssMiB.toFixed(0)} | ${many.heapMiB.toFixed(1)} |`);
console.log(`ratio CPU ${chains} chains / 1 chain: ${(many.cpuMsPerSecond / one.cpuMsPerSecond).toFixed(2)}; heap per extra idle chain: ${perChainKiB.toFixed(0)} KiB`);
