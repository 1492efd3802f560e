/*
 * Review M6: a transaction that its block includes but the application does not execute is
 * never acknowledged as committed; `?wait=commit` reports it as not executed, with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Wallet, parseEther } from 'ethers';
import { startHttp } from '../../src/node/index.js';
import { startSingleNode } from '../support/single-node.js';

const TOKEN = 'operations-token-for-tests';
const bytes = (signed: string) => Uint8Array.from(Buffer.from(signed.slice(2), 'hex'));

test('two sends that each spend most of the balance: the second is included, not executed, and answered as such', { timeout: 30_000 }, async (t) => {
  const alice = Wallet.createRandom();
  const bob = Wallet.createRandom();
  const { node, stop } = await startSingleNode([{ chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [alice.address]: { balance: parseEther('10').toString() } } } }]);
  t.after(stop);
  const http = await startHttp(node, '127.0.0.1:0', { token: TOKEN });
  t.after(() => {
    http.server.close();
    http.server.closeAllConnections();
  });
  const send = (nonce: number) => alice.signTransaction({ type: 0, chainId: 4242, nonce, to: bob.address, value: parseEther('6'), gasLimit: 21_000, gasPrice: 0 });
  const [first, second] = [bytes(await send(0)), bytes(await send(1))];
  // Nonce 1 first: the mempool holds it behind the gap, so nonce 0 makes both ready for one block.
  const answer = fetch(`http://${http.address}/chains/evm/txs?wait=commit`, { method: 'POST', body: second, headers: { authorization: `Bearer ${TOKEN}` } });
  const secondWait = node.commitWaiter('evm', second, 20_000);
  secondWait.catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const firstWait = node.commitWaiter('evm', first, 20_000);
  await node.submit('evm', first);
  const height = await firstWait;
  await assert.rejects(secondWait, (err: { code?: string; resultCode?: string; height?: number }) => {
    assert.equal(err.code, 'NODE_TX_NOT_EXECUTED');
    assert.equal(err.resultCode, 'INSUFFICIENT_FUNDS');
    assert.equal(err.height, height);
    return true;
  });
  const res = await answer;
  assert.equal(res.status, 422);
  const body = (await res.json()) as { error: { code: string; result: string; height: number; message: string } };
  assert.deepEqual([body.error.code, body.error.result, body.error.height], ['NODE_TX_NOT_EXECUTED', 'INSUFFICIENT_FUNDS', height]);
  assert.match(body.error.message, /not executed: INSUFFICIENT_FUNDS/);
});
