import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getCreateAddress, id } from 'ethers';
import { decode, encode } from '../../codec/index.js';
import { QueryError } from '../errors.js';
import { createEvmStatelessCheck } from './stateless.js';
import { bytesOf, call, CHAIN_ID, deployData, ETH, GENESIS, hexOf, receipt, sign, token, wallets, withDb } from './harness.fixture.js';
import { evmTxHashHex } from './tx.js';

const [alice, bob, , dave] = wallets as [(typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0]];
const TOKEN = getCreateAddress({ from: alice.address, nonce: 0 });
const txHash = (tx: Uint8Array) => bytesOf(evmTxHashHex(tx));

test('revert keeps its data, out of gas is recorded, invalid txs change nothing', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    await app.initChain(GENESIS);
    const deploy = await sign(alice, 0, { data: deployData(1000n), gasLimit: 2_000_000 });
    await app.commit(1, (await app.executeBlock({ height: 1, time: 1000 }, [deploy])).executionId);
    const overdraw = await sign(bob, 0, { to: TOKEN, data: token.encodeFunctionData('transfer', [alice.address, 5n]) });
    const spin = await sign(alice, 1, { to: TOKEN, data: token.encodeFunctionData('burn', [1_000_000n]), gasLimit: 100_000 });
    const replay = deploy;
    const gap = await sign(alice, 7, { to: bob.address, value: 1n, gasLimit: 21_000 });
    const broke = await sign(dave, 0, { to: bob.address, value: 1n, gasLimit: 21_000, maxFeePerGas: 1, maxPriorityFeePerGas: 1 });
    const huge = await sign(alice, 2, { to: bob.address, value: 1n, gasLimit: 40_000_000 });
    const r = await app.executeBlock({ height: 2, time: 2000 }, [overdraw, spin, replay, gap, broke, huge, Uint8Array.of(0xc0)]);
    assert.deepEqual(r.results.map((x) => x.code), ['REVERTED', 'OUT_OF_GAS', 'TX_NONCE_TOO_LOW', 'TX_BAD_NONCE', 'INSUFFICIENT_FUNDS', 'BLOCK_GAS_LIMIT', 'TX_MALFORMED']);
    await app.commit(2, r.executionId);
    const reverted = (await receipt(app, txHash(overdraw)))!;
    const expected = token.encodeErrorResult('InsufficientBalance', [0n, 5n]);
    assert.deepEqual([reverted.status, hexOf(reverted.returnData)], [0, expected]);
    const oog = (await receipt(app, txHash(spin)))!;
    assert.deepEqual([oog.status, oog.gasUsed], [0, 100_000n]);
    assert.equal((await receipt(app, txHash(deploy)))!.height, 1, 'a replay does not overwrite the receipt');
    assert.equal(await receipt(app, txHash(gap)), undefined);
    // eth_call sees the revert data too; estimateGas says why it cannot succeed.
    const failed = await call(app, TOKEN, token.encodeFunctionData('transfer', [bob.address, 1n]), bob.address);
    assert.deepEqual([failed.ok, failed.code, hexOf(failed.returnData), failed.reason], [false, 'REVERTED', token.encodeErrorResult('InsufficientBalance', [0n, 1n]), 'execution reverted']);
    const estimate = decode((await app.query('estimateGas', encode({ from: bytesOf(alice.address), to: bytesOf(TOKEN), data: bytesOf(token.encodeFunctionData('transfer', [bob.address, 1n])) }))).value!) as { ok: boolean; gas: number };
    assert.equal(estimate.ok, true);
    assert.equal(estimate.gas > 30_000 && estimate.gas < 60_000, true);
    await assert.rejects(app.query('storage', Uint8Array.of(1)), QueryError);
    await assert.rejects(app.query('nope', new Uint8Array(0)), QueryError);
  });
});

test('checkTx and the stateless check refuse with typed codes and Ethereum-style reasons', async () => {
  await withDb(async (open) => {
    const { app } = await open({ blockGasLimit: 1_000_000n });
    await app.initChain(GENESIS);
    const ok = await sign(alice, 3, { to: bob.address, value: ETH, gasLimit: 21_000 });
    assert.deepEqual(await app.checkTx(ok, 'new'), { ok: true, sender: alice.address.toLowerCase(), nonce: 3, nextNonce: 0, priority: 0 });
    const expectReject = async (tx: Uint8Array, code: string, reason: RegExp) => {
      const r = await app.checkTx(tx, 'new');
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.code, code);
        assert.match(r.reason, reason);
      }
    };
    await expectReject(await sign(dave, 0, { to: bob.address, gasLimit: 21_000, maxFeePerGas: 1, maxPriorityFeePerGas: 1 }), 'TX_INVALID', /^insufficient funds for gas \* price \+ value/);
    await expectReject(await sign(alice, 0, { to: bob.address, gasLimit: 2_000_000 }), 'TX_INVALID', /exceeds block gas limit/);
    await expectReject(await sign(alice, 0, { to: bob.address, gasLimit: 20_000 }), 'TX_INVALID', /intrinsic gas too low/);
    await expectReject(await sign(alice, 0, { to: bob.address, gasLimit: 21_000 }, '1559', CHAIN_ID + 1), 'TX_WRONG_CHAIN', /chain id/);
    await expectReject(await sign(alice, 0, { to: bob.address, gasLimit: 21_000 }, 'legacy', CHAIN_ID + 1), 'TX_WRONG_CHAIN', /chain id/);
    await expectReject(Uint8Array.of(3, 0xc0), 'TX_MALFORMED', /type 3 not supported/);
    await app.commit(1, (await app.executeBlock({ height: 1, time: 1 }, [await sign(alice, 0, { to: bob.address, gasLimit: 21_000 })])).executionId);
    await expectReject(await sign(alice, 0, { to: bob.address, gasLimit: 21_000 }), 'TX_NONCE_TOO_LOW', /^nonce too low/);
    const worker = createEvmStatelessCheck(app.statelessCheck.config);
    assert.deepEqual(worker(ok), app.checkStateless(ok));
    const forged = Uint8Array.from(ok);
    forged[forged.length - 40]! ^= 0xff; // inside r: a different signature, hence another sender or none
    const v = worker(forged);
    assert.equal(!v.ok || v.sender !== alice.address.toLowerCase(), true);
  });
});

test('random and mutated bytes get a verdict, never an exception', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    const valid = [await sign(alice, 0, { to: bob.address, value: 1n, data: id('x') }, 'legacy'), await sign(alice, 1, { to: bob.address, accessList: [{ address: bob.address, storageKeys: [id('k')] }] }, '2930'), await sign(alice, 2, { data: deployData(1n) })];
    const check = createEvmStatelessCheck(app.statelessCheck.config);
    const codes = new Set(['TX_MALFORMED', 'TX_TOO_LARGE', 'TX_WRONG_CHAIN', 'TX_BAD_SIGNATURE', 'TX_INVALID']);
    const mutated = fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(64)).map(([tx, flips, cut]) => {
      const out = Uint8Array.from(tx);
      for (const [at, byte] of flips) out[at % out.length] = byte;
      return cut % 3 === 0 ? out.subarray(0, Math.max(0, out.length - cut)) : out;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (bytes) => {
        const v = check(bytes);
        if (v.ok) assert.match(v.sender, /^0x[0-9a-f]{40}$/);
        else assert.equal(codes.has(v.code), true, `${v.code}: ${v.reason}`);
      }),
      { numRuns: 400 },
    );
  });
});
