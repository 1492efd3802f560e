import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicClient, createWalletClient, defineChain, http, parseEther, type Abi } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { compileToken } from '../../src/execution/evm/erc20.fixture.js';
import { startGateway } from '../../src/gateway/index.js';
import { startSingleNode } from '../support/single-node.js';

test('viem deploys an ERC-20, transfers and reads through the gateway', { timeout: 30_000 }, async (t) => {
  const account = privateKeyToAccount(generatePrivateKey());
  const bob = privateKeyToAccount(generatePrivateKey()).address;
  const { node, stop } = await startSingleNode([
    { chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [account.address]: { balance: parseEther('100').toString() } } } },
  ]);
  t.after(stop);
  const gateway = await startGateway(node, { listen: '127.0.0.1:0' });
  t.after(() => gateway.close());
  const chain = defineChain({ id: 4242, name: 'bsn', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [gateway.rpcUrl('evm')] } } });
  const publicClient = createPublicClient({ chain, transport: http(), pollingInterval: 100 });
  const walletClient = createWalletClient({ chain, transport: http(), account });

  assert.equal(await publicClient.getChainId(), 4242);
  const { abi: rawAbi, bytecode } = compileToken();
  const abi = rawAbi as Abi;
  const deployHash = await walletClient.deployContract({ abi, bytecode: bytecode as `0x${string}`, args: ['Token', 'TKN', 1000n] });
  const deployed = await publicClient.waitForTransactionReceipt({ hash: deployHash });
  assert.equal(deployed.status, 'success');
  const address = deployed.contractAddress!;

  const hash = await walletClient.writeContract({ address, abi, functionName: 'transfer', args: [bob, 40n] });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
  assert.equal(receipt.logs.length, 1);
  assert.equal(await publicClient.readContract({ address, abi, functionName: 'balanceOf', args: [bob] }), 40n);

  const valueHash = await walletClient.sendTransaction({ to: bob, value: parseEther('1') });
  await publicClient.waitForTransactionReceipt({ hash: valueHash });
  assert.equal(await publicClient.getBalance({ address: bob }), parseEther('1'));

  const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
  assert.equal(block.hash, receipt.blockHash);
  const fees = await publicClient.estimateFeesPerGas();
  assert.equal(fees.maxFeePerGas, 0n);
  const logs = await publicClient.getContractEvents({ address, abi, eventName: 'Transfer', fromBlock: 0n });
  assert.equal(logs.length, 2);

  await assert.rejects(publicClient.simulateContract({ address, abi, functionName: 'transfer', args: [bob, 10n ** 30n], account }), /InsufficientBalance/);
});
