import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Contract, ContractFactory, isError, JsonRpcProvider, Network, Wallet, parseEther, type EventLog } from 'ethers';
import { compileToken } from '../../src/execution/evm/erc20.fixture.js';
import { startGateway } from '../../src/gateway/index.js';
import { startSingleNode } from '../support/single-node.js';

test('ethers v6 deploys, uses and reads an ERC-20 through the gateway over HTTP', { timeout: 30_000 }, async (t) => {
  const deployer = Wallet.createRandom();
  const bob = Wallet.createRandom();
  const { node, stop } = await startSingleNode([
    { chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [deployer.address]: { balance: parseEther('100').toString() } } } },
  ]);
  t.after(stop);
  const gateway = await startGateway(node, { listen: '127.0.0.1:0' });
  t.after(() => gateway.close());
  const network = Network.from(4242);
  // cacheTimeout -1: the chain commits faster than ethers' 250 ms request cache (environment.md).
  const provider = new JsonRpcProvider(gateway.rpcUrl('evm'), network, { staticNetwork: network, cacheTimeout: -1, pollingInterval: 100 });
  t.after(() => provider.destroy());
  const wallet = deployer.connect(provider);

  assert.equal((await provider.getNetwork()).chainId, 4242n);
  assert.equal(await provider.getBalance(deployer.address), parseEther('100'));

  const { abi, bytecode } = compileToken();
  const factory = new ContractFactory(abi as never[], bytecode, wallet);
  const deployed = await factory.deploy('Token', 'TKN', 1_000_000n);
  await deployed.waitForDeployment();
  const token = new Contract(await deployed.getAddress(), abi as never[], wallet);
  assert.equal(await token.getFunction('symbol')(), 'TKN');
  assert.ok((await provider.getCode(await token.getAddress())).length > 2);

  const tx = await token.getFunction('transfer')(bob.address, 250n);
  const receipt = await tx.wait();
  assert.equal(receipt!.status, 1);
  assert.equal(await token.getFunction('balanceOf')(bob.address), 250n);
  assert.equal(await token.getFunction('balanceOf')(deployer.address), 1_000_000n - 250n);

  // Events: the mint in the constructor and the transfer, by filter and by plain getLogs.
  const events = (await token.queryFilter(token.filters['Transfer']!(), 0, 'latest')) as EventLog[];
  assert.deepEqual(events.map((e) => [e.args[1], e.args[2]]), [[deployer.address, 1_000_000n], [bob.address, 250n]]);
  const toBob = await provider.getLogs({ address: await token.getAddress(), topics: [null, null, `0x${'00'.repeat(12)}${bob.address.slice(2).toLowerCase()}`], fromBlock: 0 });
  assert.equal(toBob.length, 1);
  assert.equal(toBob[0]!.transactionHash, tx.hash);

  // Blocks link by hash, and a tx is found by hash with its sender.
  const block = await provider.getBlock(receipt!.blockNumber, true);
  const parent = await provider.getBlock(receipt!.blockNumber - 1);
  assert.equal(block!.parentHash, parent!.hash);
  assert.deepEqual((await provider.getBlock(block!.hash!))!.number, block!.number);
  assert.ok(block!.transactions.includes(tx.hash));
  const fetched = await provider.getTransaction(tx.hash);
  assert.equal(fetched!.from, deployer.address);
  assert.equal(fetched!.blockNumber, receipt!.blockNumber);

  // A revert surfaces as CALL_EXCEPTION with the custom error's data; require() with its reason.
  await assert.rejects(token.getFunction('transfer').staticCall(bob.address, 10n ** 30n), (err: unknown) => {
    assert.ok(isError(err, 'CALL_EXCEPTION'), String(err));
    assert.equal(err.revert?.name, 'InsufficientBalance');
    assert.ok(err.data?.startsWith(token.interface.getError('InsufficientBalance')!.selector));
    return true;
  });
  await assert.rejects(token.getFunction('transferFrom').staticCall(bob.address, deployer.address, 1n), (err: unknown) => {
    assert.ok(isError(err, 'CALL_EXCEPTION'), String(err));
    assert.equal(err.reason, 'allowance exceeded');
    return true;
  });

  // A replayed transaction is NONCE_EXPIRED; insufficient funds is INSUFFICIENT_FUNDS.
  const signed = await wallet.signTransaction(await wallet.populateTransaction({ to: bob.address, value: 1n }));
  await (await provider.broadcastTransaction(signed)).wait();
  await assert.rejects(provider.broadcastTransaction(signed), (err: unknown) => isError(err, 'NONCE_EXPIRED'));
  const poor = Wallet.createRandom().connect(provider);
  await assert.rejects(poor.sendTransaction({ to: bob.address, value: 1n, gasLimit: 21_000 }), (err: unknown) => isError(err, 'INSUFFICIENT_FUNDS'));

  // Pending nonce counts this sender's admitted txs before they commit.
  const nonce = await provider.getTransactionCount(deployer.address, 'latest');
  const a = await wallet.sendTransaction({ to: bob.address, value: 1n, nonce });
  const b = await wallet.sendTransaction({ to: bob.address, value: 1n, nonce: nonce + 1 });
  await Promise.all([a.wait(), b.wait()]);
  assert.equal(await provider.getTransactionCount(deployer.address, 'pending'), nonce + 2);
});
