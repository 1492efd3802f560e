import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getCreateAddress, Interface, parseEther, Wallet } from 'ethers';
import { startGateway } from '../../src/gateway/index.js';
import { startSingleNode } from '../support/single-node.js';

/*
 * A plain Hardhat 2 project (test/hardhat/project: no BSN code in it) runs its mocha tests against
 * a real city node's gateway, as a user's project would against `bsn up`; then this test checks
 * the chain itself for what the project did.
 */

const PROJECT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'project');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npx hardhat …` in the project, with downloads made to fail: everything must work offline. */
function hardhat(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', ...env };
  delete childEnv['NO_PROXY'];
  delete childEnv['no_proxy'];
  return new Promise((resolve) => {
    execFile('npx', ['hardhat', ...args], { cwd: PROJECT, env: childEnv, timeout: 40_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function rpc(url: string, method: string, params: unknown[]): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: string; error?: { message: string } };
  assert.equal(body.error, undefined, body.error?.message);
  return body.result!;
}

test('npx hardhat compile works offline with the solc package compiler', { timeout: 45_000 }, async () => {
  const run = await hardhat(['compile', '--force']);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /Compiled 1 Solidity file successfully \(evm target: cancun\)/);
  const artifact = path.join(PROJECT, 'artifacts', 'contracts', 'Counter.sol', 'Counter.json');
  const { bytecode, abi } = JSON.parse(readFileSync(artifact, 'utf8')) as { bytecode: string; abi: { name?: string }[] };
  assert.match(bytecode, /^0x60[0-9a-f]{100,}$/);
  assert.ok(abi.some((entry) => entry.name === 'Incremented'));
});

test('a Hardhat project deploys, calls and tests a contract through the gateway', { timeout: 50_000 }, async () => {
  const owner = Wallet.createRandom();
  const other = Wallet.createRandom();
  const alloc = { [owner.address]: { balance: parseEther('100').toString() }, [other.address]: { balance: parseEther('100').toString() } };
  const { node, stop } = await startSingleNode([{ chainId: 'demo', app: 'evm', appState: { chainId: 4242, alloc } }]);
  try {
    const gateway = await startGateway(node, { listen: '127.0.0.1:0' });
    try {
      const url = gateway.rpcUrl('demo');
      const run = await hardhat(['test', '--network', 'bsn'], { BSN_RPC_URL: url, BSN_PRIVATE_KEYS: `${owner.privateKey},${other.privateKey}` });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /\b5 passing\b/, run.stdout);
      assert.doesNotMatch(run.stdout, /failing|pending/);
      await checkChain(url, owner.address, other.address);
    } finally {
      await gateway.close();
    }
  } finally {
    await stop();
  }
});

/** What the project's tests did, read back from the chain without Hardhat: code, state, events, nonces. */
async function checkChain(url: string, owner: string, other: string): Promise<void> {
  const counter = getCreateAddress({ from: owner, nonce: 0 });
  assert.notEqual(await rpc(url, 'eth_getCode', [counter, 'latest']), '0x');
  const abi = new Interface(['function count() view returns (uint256)', 'event Incremented(address indexed by, uint256 amount, uint256 count)']);
  const count = await rpc(url, 'eth_call', [{ to: counter, data: abi.encodeFunctionData('count') }, 'latest']);
  assert.equal(BigInt(count), 42n);
  const logs = (await rpc(url, 'eth_getLogs', [{ address: counter, fromBlock: '0x0', toBlock: 'latest' }])) as unknown as { topics: string[]; data: string }[];
  const events = logs.map((log) => abi.parseLog(log)!);
  assert.deepEqual(events.map((e) => [e.args[0], e.args[2]]), [[owner, 1n], [other, 42n]]);
  // Deploy and increment from the owner, add from the other; the two refused calls sent nothing.
  assert.equal(Number(await rpc(url, 'eth_getTransactionCount', [owner, 'latest'])), 2);
  assert.equal(Number(await rpc(url, 'eth_getTransactionCount', [other, 'latest'])), 1);
  assert.ok(Number(await rpc(url, 'eth_blockNumber', [])) >= 3);
}
