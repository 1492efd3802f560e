import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCreateAddress, id } from 'ethers';
import { decode } from '../../codec/index.js';
import { keccak256 } from '../../crypto/index.js';
import { ChainStateError, ExecutionHeightError, UnknownExecutionError } from '../errors.js';
import type { EvmApplication } from './app.js';
import { balanceOf, bytesOf, deployData, ETH, GENESIS, hexOf, receipt, sign, token, wallets, withDb, type TxForm } from './harness.fixture.js';
import { evmTxHashHex } from './tx.js';

const [alice, bob, carol] = wallets as [(typeof wallets)[0], (typeof wallets)[0], (typeof wallets)[0]];
const SUPPLY = 1_000_000n * ETH;
const TOKEN = getCreateAddress({ from: alice.address, nonce: 0 });
const txHash = (tx: Uint8Array) => bytesOf(evmTxHashHex(tx));
const transfer = (to: string, amount: bigint) => ({ to: TOKEN, data: token.encodeFunctionData('transfer', [to, amount]) });

/** Ethereum's 2048-bit bloom: three 11-bit indexes from keccak256(item). */
function bloomHas(bloom: Uint8Array, item: Uint8Array): boolean {
  const h = keccak256(item);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    if ((bloom[255 - (bit >> 3)]! & (1 << (bit % 8))) === 0) return false;
  }
  return true;
}

/** Block 1 deploys the token, block 2 transfers in all three tx forms. */
async function chain(): Promise<Uint8Array[][]> {
  const forms: TxForm[] = ['legacy', '2930', '1559'];
  return [
    [await sign(alice, 0, { data: deployData(SUPPLY), gasLimit: 2_000_000 }, 'legacy')],
    await Promise.all(forms.map((form, i) => sign(alice, i + 1, transfer(bob.address, 100n + BigInt(i)), form))),
    [await sign(bob, 0, transfer(carol.address, 3n), '1559'), await sign(carol, 0, { to: bob.address, value: ETH, gasLimit: 21_000 }, 'legacy')],
  ];
}

async function run(app: EvmApplication, blocks: Uint8Array[][]) {
  const out = [];
  for (const [i, txs] of blocks.entries()) {
    const r = await app.executeBlock({ height: i + 1, time: 1_700_000_000_000 + i * 1000 }, txs);
    await app.commit(i + 1, r.executionId);
    out.push(r);
  }
  return out;
}

test('deploy an ERC-20, transfer in legacy, 2930 and 1559 forms; receipts carry logs and blooms', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    await assert.rejects(app.executeBlock({ height: 1, time: 0 }, []), ChainStateError);
    await app.initChain(GENESIS);
    const blocks = await chain();
    const results = await run(app, blocks);
    assert.deepEqual(results.map((r) => r.results.map((x) => x.code)), [['OK'], ['OK', 'OK', 'OK'], ['OK', 'OK']]);

    assert.equal(await balanceOf(app, TOKEN, bob.address), 303n - 3n);
    assert.equal(await balanceOf(app, TOKEN, carol.address), 3n);
    assert.equal(await balanceOf(app, TOKEN, alice.address), SUPPLY - 303n);
    assert.equal(hexOf((await receipt(app, txHash(blocks[0]![0]!)))!.contractAddress!), TOKEN.toLowerCase());
    const rc = (await receipt(app, txHash(blocks[1]![2]!)))!;
    assert.deepEqual([rc.status, rc.code, rc.type, rc.index, rc.height, hexOf(rc.from)], [1, 'OK', 2, 2, 2, alice.address.toLowerCase()]);
    assert.equal(rc.cumulativeGasUsed > rc.gasUsed && rc.gasUsed > 21_000n, true);
    assert.equal(rc.logs.length, 1);
    const log = rc.logs[0]!;
    assert.equal(hexOf(log.address), TOKEN.toLowerCase());
    assert.deepEqual(log.topics.map(hexOf), [id('Transfer(address,address,uint256)'), hexOf(bytesOf(alice.address.slice(2).padStart(64, '0'))), `0x${bob.address.slice(2).toLowerCase().padStart(64, '0')}`]);
    assert.equal(BigInt(hexOf(log.data)), 102n);
    assert.equal(bloomHas(rc.bloom, bytesOf(TOKEN)), true);
    assert.equal(bloomHas(rc.bloom, log.topics[0]!), true);
    assert.equal(bloomHas(rc.bloom, bytesOf(id('Approval(address,address,uint256)'))), false);

    const account = (a: string) => app.query('account', bytesOf(a)).then((r) => decode(r.value!) as { nonce: number; balance: Uint8Array });
    assert.equal((await account(alice.address)).nonce, 4);
    assert.equal(BigInt(hexOf((await account(bob.address)).balance)), 1001n * ETH);
    assert.equal((await app.query('code', bytesOf(TOKEN))).value!.length > 1000, true);
    // balanceOf (slot 3: name, symbol, totalSupply come first) of bob lives at keccak256(pad(bob) ‖ pad(3)).
    const slot = keccak256(bytesOf(bob.address.slice(2).padStart(64, '0') + '3'.padStart(64, '0')));
    const stored = (await app.query('storage', Uint8Array.from([...bytesOf(TOKEN), ...slot]))).value!;
    assert.equal(BigInt(hexOf(stored)), 300n);
    const block = decode((await app.query('block', Uint8Array.of(2))).value!) as { txHashes: Uint8Array[] };
    assert.deepEqual(block.txHashes.map(hexOf), blocks[1]!.map((t) => hexOf(txHash(t))));
    assert.equal((await app.info()).height, 3);
  });
});

test('two instances agree byte for byte; a restart reproduces info and state', async () => {
  const blocks = await chain();
  let first: Awaited<ReturnType<typeof run>> | undefined;
  for (const round of [0, 1]) {
    await withDb(async (open) => {
      const { db, app } = await open();
      await app.initChain(GENESIS);
      const results = await run(app, blocks);
      if (round === 0) first = results;
      else {
        assert.deepEqual(results.map((r) => [hexOf(r.stateRoot), hexOf(r.resultsRoot)]), first!.map((r) => [hexOf(r.stateRoot), hexOf(r.resultsRoot)]));
        assert.notEqual(hexOf(results[1]!.stateRoot), hexOf(results[2]!.stateRoot));
      }
      const before = await app.info();
      await db.close();
      const reopened = await open();
      assert.deepEqual(await reopened.app.info(), before);
      assert.equal(await balanceOf(reopened.app, TOKEN, bob.address), 300n);
      assert.equal((await receipt(reopened.app, txHash(blocks[2]![1]!)))!.status, 1);
    });
  }
});

test('speculative execution: two candidates of a height, the second is committed', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    const genesis = await app.initChain(GENESIS);
    const [deploy] = (await chain())[0]!;
    const toCarol = await sign(alice, 0, { to: carol.address, value: 5n * ETH, gasLimit: 21_000 });
    const a = await app.executeBlock({ height: 1, time: 1000 }, [deploy!]);
    const b = await app.executeBlock({ height: 1, time: 1000 }, [toCarol]);
    assert.notEqual(hexOf(a.stateRoot), hexOf(b.stateRoot));
    await assert.rejects(app.commit(1, 'nope'), UnknownExecutionError);
    await assert.rejects(app.commit(2, b.executionId), ExecutionHeightError);
    assert.deepEqual(await app.commit(1, b.executionId), { height: 1, stateRoot: b.stateRoot });
    assert.notEqual(hexOf(genesis.stateRoot), hexOf(b.stateRoot));
    await assert.rejects(app.commit(1, a.executionId), ExecutionHeightError);
    const code = (await app.query('code', bytesOf(TOKEN))).value!;
    assert.equal(code.length, 0, 'the dropped candidate deployed nothing');
    const carolAccount = decode((await app.query('account', bytesOf(carol.address))).value!) as { balance: Uint8Array };
    assert.equal(BigInt(hexOf(carolAccount.balance)), 1005n * ETH);
    assert.equal(await receipt(app, txHash(deploy!)), undefined);
  });
});

test('prepareProposal keeps nonce order per sender and the block gas limit', async () => {
  await withDb(async (open) => {
    const { app } = await open({ blockGasLimit: 100_000n });
    await app.initChain(GENESIS);
    const t = (w: (typeof wallets)[0], n: number, gas = 21_000) => sign(w, n, { to: carol.address, value: 1n, gasLimit: gas });
    const candidates = [await t(alice, 1), await t(alice, 0), await t(bob, 0), await t(bob, 1, 60_000), await t(alice, 2), await t(bob, 5), Uint8Array.of(1, 2, 3)];
    const chosen = await app.prepareProposal(candidates, { maxBytes: 1 << 20, maxTxs: 100 });
    // alice 1 comes before alice 0 and is skipped, which leaves alice 2 with a gap; bob 1 would pass
    // the gas limit (21,000 × 2 + 60,000); bob 5 has a gap; the last candidate does not decode.
    assert.deepEqual(chosen.map((c) => candidates.indexOf(c)), [1, 2]);
  });
});
