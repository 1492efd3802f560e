import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSingleNode } from '../support/single-node.js';

// Review L7: a tx signed for one EVM chain id is valid on every chain that shares it.
test('a node refuses to host two EVM chains with the same chain id, and hosts distinct ones', { timeout: 30_000 }, async () => {
  const evm = (chainId: string, id: number) => ({ chainId, app: 'evm' as const, appState: { chainId: id, alloc: {} } });
  await assert.rejects(startSingleNode([evm('one', 4242), 'kv', evm('two', 4242)]), (err: { code?: string; message?: string }) => {
    assert.equal(err.code, 'NODE_DUPLICATE_EVM_CHAIN_ID');
    assert.match(err.message!, /chains 'one' and 'two' both have EVM chain id 4242/);
    return true;
  });
  const { node, stop } = await startSingleNode([evm('one', 4242), evm('two', 4243)]);
  try {
    assert.deepEqual([...node.chains.keys()], ['one', 'two']);
  } finally {
    await stop();
  }
});
