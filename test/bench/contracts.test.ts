import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BENCH_TOKEN_BYTECODE, SMALLBANK_BYTECODE } from '../../src/bench/contracts.js';
import { abiCall, SELECTORS } from '../../src/bench/evm-tx.js';
import { compileBenchContracts } from './contracts-build.js';

test('the shipped bytecode is what the Solidity sources compile to', { timeout: 60_000 }, () => {
  const fresh = compileBenchContracts();
  assert.equal(BENCH_TOKEN_BYTECODE, fresh.token, 'regenerate: node --import tsx test/bench/contracts-build.ts');
  assert.equal(SMALLBANK_BYTECODE, fresh.smallBank, 'regenerate: node --import tsx test/bench/contracts-build.ts');
});

test('hand-written ABI encodings match ethers', async () => {
  const { Interface } = await import('ethers');
  const erc20 = new Interface(['function transfer(address,uint256)', 'function balanceOf(address)']);
  const to = `0x${'ab'.repeat(20)}`;
  assert.equal(Buffer.from(abiCall(SELECTORS.transfer, [Buffer.from('ab'.repeat(20), 'hex'), 12345n])).toString('hex'), erc20.encodeFunctionData('transfer', [to, 12345n]).slice(2));
  assert.equal(Buffer.from(abiCall(SELECTORS.balanceOf, [Buffer.from('ab'.repeat(20), 'hex')])).toString('hex'), erc20.encodeFunctionData('balanceOf', [to]).slice(2));
  const bank = new Interface(['function sendPayment(uint256,uint256,uint256)', 'function amalgamate(uint256,uint256)']);
  assert.equal(Buffer.from(abiCall(SELECTORS.sendPayment, [1, 999, 2n ** 200n])).toString('hex'), bank.encodeFunctionData('sendPayment', [1, 999, 2n ** 200n]).slice(2));
  assert.equal(Buffer.from(abiCall(SELECTORS.amalgamate, [0, 7])).toString('hex'), bank.encodeFunctionData('amalgamate', [0, 7]).slice(2));
});
