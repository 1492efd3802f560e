import { spawnOwned, stopOwned } from '../support/processes.js';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { issueLeaf } from '../../src/pki/index.js';
import { parseBenchSpec, type BenchSpec } from '../../src/bench/spec.js';
import type { CityNode } from '../../src/node/index.js';
import { startSingleNode } from '../support/single-node.js';

/** The repository's bench/workloads folder. */
export const WORKLOADS_DIR = fileURLToPath(new URL('../../bench/workloads', import.meta.url));

/** Hardhat's development account 0, which the bench's default funder key controls. */
export const DEV_ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const PASSPHRASE = 'correct horse battery staple'; // test/support/network-pki.ts

export interface BsnUnderTest {
  readonly node: CityNode;
  readonly gateway: Gateway;
  readonly base: string;
  readonly rpcUrl: string;
  /** User certificates for app `kv` and app `evm` and their keys, as files. */
  readonly user: { readonly cert: string; readonly key: string };
  readonly evmUser: { readonly cert: string; readonly key: string };
  stop(): Promise<void>;
}

/** One real node hosting an EVM chain `evm` (chain id 4242, dev account 0 funded) and a kv chain `kv`, with its gateway. */
export async function startBsn(): Promise<BsnUnderTest> {
  const { node, pki, stop } = await startSingleNode([
    { chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [DEV_ACCOUNT_0]: { balance: (10n ** 24n).toString() } } } },
    { chainId: 'kv', app: 'kv' },
  ]);
  const gateway = await startGateway(node, { listen: '127.0.0.1:0', rest: {} });
  const issue = async (name: string, app: string) => {
    const out = path.join(pki.dir, `user-${name}`);
    await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind: 'user', name, app, secret: { passphrase: PASSPHRASE } });
    return { cert: path.join(out, 'cert.pem'), key: path.join(out, 'key.pem') };
  };
  const user = await issue('bench', 'kv');
  const evmUser = await issue('bench-evm', 'evm');
  return {
    node,
    gateway,
    base: `http://${gateway.address}`,
    rpcUrl: gateway.rpcUrl('evm'),
    user,
    evmUser,
    stop: async () => {
      await gateway.close();
      await stop();
    },
  };
}

/** A spec for tests: 10 accounts, 1 worker, 10 s timeout, the given rounds. */
export function specFor(target: unknown, rounds: readonly Record<string, unknown>[], extra: Record<string, unknown> = {}): BenchSpec {
  return parseBenchSpec({ name: 'test', target, accounts: 10, workers: 1, timeoutSec: 10, ...extra, rounds });
}

/**
 * A real `hardhat node` on loopback, from a project of its own in a temp dir (a minimal config;
 * node_modules linked to ours, since Hardhat refuses an installation outside its project).
 */
export async function startHardhat(port: number, network: Record<string, unknown> = {}): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-bench-hardhat-'));
  writeFileSync(path.join(dir, 'hardhat.config.cjs'), `module.exports = { networks: { hardhat: ${JSON.stringify({ chainId: 31337, ...network })} } };\n`);
  symlinkSync(fileURLToPath(new URL('../../node_modules', import.meta.url)), path.join(dir, 'node_modules'), 'dir');
  const bin = path.join(dir, 'node_modules', 'hardhat', 'internal', 'cli', 'bootstrap.js');
  const child = spawnOwned(process.execPath, [bin, 'node', '--hostname', '127.0.0.1', '--port', String(port)], { cwd: dir, stdio: 'ignore' });
  const stop = async () => {
    // The process first, then its directory.
    await stopOwned(child, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 45_000;
  for (;;) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}', signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`hardhat node did not answer at ${url}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, pid: child.pid!, stop };
}
