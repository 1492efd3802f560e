import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transaction, Wallet, parseEther } from 'ethers';
import { decode, expectBytes, expectMap } from '../../src/codec/index.js';
import { startSingleNode } from '../support/single-node.js';

test('a city node runs an EVM app chain: a signed Ethereum transfer commits and changes balances', async (t) => {
  const alice = Wallet.createRandom();
  const bob = Wallet.createRandom();
  const { node, stop } = await startSingleNode([
    { chainId: 'evm-demo', app: 'evm', appState: { chainId: 4242, alloc: { [alice.address]: { balance: parseEther('10').toString() } } } },
  ]);
  t.after(stop);
  const signed = await alice.signTransaction({ type: 0, chainId: 4242, nonce: 0, to: bob.address, value: parseEther('1.5'), gasLimit: 21_000, gasPrice: 0 });
  const raw = Uint8Array.from(Buffer.from(signed.slice(2), 'hex'));
  const committed = node.commitWaiter('evm-demo', raw, 15_000);
  await node.submit('evm-demo', raw);
  assert.equal(await committed, 1);

  const chain = node.chains.get('evm-demo')!;
  const balance = async (address: string) => {
    const r = await chain.app.query('account', Uint8Array.from(Buffer.from(address.slice(2), 'hex')));
    const bytes = expectBytes(expectMap(decode(r.value!), '$').balance, '$.balance');
    return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  };
  assert.equal(await balance(bob.address), parseEther('1.5'));
  assert.equal(await balance(alice.address), parseEther('8.5'));
  const receipt = await chain.app.query('receipt', Uint8Array.from(Buffer.from(Transaction.from(signed).hash!.slice(2), 'hex')));
  assert.ok(receipt.value && receipt.value.length > 0);

  // The same transaction again is a replay: refused with the nonce error ethers understands.
  await assert.rejects(node.submit('evm-demo', raw), /nonce too low|NONCE/i);
});
