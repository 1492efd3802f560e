import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Contract, ContractFactory, Wallet, WebSocketProvider, parseEther } from 'ethers';
import { compileToken } from '../../src/execution/evm/erc20.fixture.js';
import { startGateway } from '../../src/gateway/index.js';
import { startSingleNode } from '../support/single-node.js';

test('over WebSocket, ethers receives newHeads and the ERC-20 Transfer logs it subscribed to', { timeout: 30_000 }, async (t) => {
  const deployer = Wallet.createRandom();
  const bob = Wallet.createRandom();
  const { node, stop } = await startSingleNode([{ chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [deployer.address]: { balance: parseEther('10').toString() } } } }]);
  t.after(stop);
  const gateway = await startGateway(node, { listen: '127.0.0.1:0' });
  t.after(() => gateway.close());
  // cacheTimeout -1: ethers would answer the receipt poll after a new head from its 250 ms cache.
  const provider = new WebSocketProvider(gateway.rpcUrl('evm', 'ws'), 4242, { cacheTimeout: -1 });
  t.after(() => provider.destroy());
  const wallet = deployer.connect(provider);

  const { abi, bytecode } = compileToken();
  const deployed = await new ContractFactory(abi as never[], bytecode, wallet).deploy('Token', 'TKN', 1000n);
  await deployed.waitForDeployment();
  const token = new Contract(await deployed.getAddress(), abi as never[], wallet);

  const heads: number[] = [];
  await provider.on('block', (n: number) => heads.push(n));
  const transfer = new Promise<[string, string, bigint]>((resolve) => {
    void token.on('Transfer', (from: string, to: string, value: bigint) => resolve([from, to, value]));
  });
  // Subscriptions are set up asynchronously by ethers: give them a moment before the commit.
  await new Promise((r) => setTimeout(r, 300));
  const tx = await token.getFunction('transfer')(bob.address, 5n);
  const receipt = await tx.wait();
  assert.deepEqual(await transfer, [deployer.address, bob.address, 5n]);
  const until = Date.now() + 5000;
  while (!heads.includes(receipt!.blockNumber) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.ok(heads.includes(receipt!.blockNumber), `heads ${heads}`);
});
