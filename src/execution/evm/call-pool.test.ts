import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { decode, encode } from '../../codec/index.js';
import { QueryError } from '../errors.js';
import { EvmCallBusyError, EvmCallTimeoutError } from './call-errors.js';
import { EvmCallPool } from './call-pool.js';
import { bytesOf, GENESIS, sign, wallets, withDb, type CallAnswer } from './harness.fixture.js';

/*
 * eth_call in call workers (H3): the gas cap, the time budget, the queue bound, one height per
 * call, and a main thread that keeps running while a call computes.
 */

/** JUMPDEST PUSH1 0 JUMP: loops until the gas runs out. */
const LOOP = '0x' + '00'.repeat(18) + '0100';
/**
 * No calldata: SSTORE(0, NUMBER). Calldata n: loop n times, then return [SLOAD(0), NUMBER], so a
 * call that computes for a while reads state and block number after commits may have landed.
 */
const COUNTER = '0x' + '00'.repeat(18) + '0200';
const COUNTER_CODE = '0x366009574360005500' + '5b600035' + '5b8015601a57600190' + '03600d56' + '5b50600054600052436020526040' + '6000f3';
const genesis = {
  ...GENESIS,
  appState: { ...GENESIS.appState, alloc: { ...GENESIS.appState.alloc, [LOOP]: { code: '0x5b600056' }, [COUNTER]: { code: COUNTER_CODE } } },
};

const pools: EvmCallPool[] = [];
after(() => Promise.all(pools.map((p) => p.close())));
async function pool(options: ConstructorParameters<typeof EvmCallPool>[0]): Promise<EvmCallPool> {
  const p = new EvmCallPool(options);
  pools.push(p);
  await p.warm();
  return p;
}

const callData = (req: Record<string, Uint8Array | bigint>) => encode(req);
const answer = (value: Uint8Array | undefined) => decode(value!) as unknown as CallAnswer;

test('calls stop at the gas cap: absent gas is the cap, more gas is lowered to it, non-uint64 gas is refused', async () => {
  await withDb(async (open) => {
    const { app } = await open({ calls: { pool: await pool({ workers: 1 }), gasCap: 1_000_000n } });
    await app.initChain(genesis);
    for (const gas of [undefined, 10n ** 15n, (1n << 64n) - 1n]) {
      const r = answer((await app.query('call', callData({ to: bytesOf(LOOP), ...(gas !== undefined && { gas }) }))).value);
      assert.equal(r.code, 'OUT_OF_GAS');
      assert.equal(BigInt(r.gasUsed), 1_000_000n);
    }
    const est = decode((await app.query('estimateGas', callData({ to: bytesOf(LOOP) }))).value!) as { ok: boolean; code: string };
    assert.deepEqual([est.ok, est.code], [false, 'OUT_OF_GAS']);
    await assert.rejects(app.query('call', callData({ to: bytesOf(LOOP), gas: -1n })), QueryError);
    await assert.rejects(app.query('call', Uint8Array.of(0xff, 0x00)), QueryError);
    await assert.rejects(app.query('call', callData({ to: bytesOf(LOOP), nonce: 1n })), /unknown key 'nonce'/);
  });
});

test('a call past its time budget is aborted with EvmCallTimeoutError, and the pool answers the next call', async () => {
  await withDb(async (open) => {
    const { app } = await open({ blockGasLimit: 1_000_000_000n, calls: { pool: await pool({ workers: 1, timeoutMs: 300 }), gasCap: 1_000_000_000n } });
    await app.initChain(genesis);
    const started = Date.now();
    await assert.rejects(app.query('call', callData({ to: bytesOf(LOOP) })), (err: unknown) => err instanceof EvmCallTimeoutError && err.message === 'execution aborted (timeout = 0.3s)');
    assert.ok(Date.now() - started < 2000);
    const r = answer((await app.query('call', callData({ to: bytesOf(COUNTER), data: encode32(1n) }))).value);
    assert.equal(r.code, 'OK');
  });
});

test('a heavy call does not hold up the main thread', async () => {
  await withDb(async (open) => {
    // A generous time budget: on a loaded machine the 30M-gas call may take several seconds.
    const { app } = await open({ calls: { pool: await pool({ workers: 1, timeoutMs: 40_000 }), gasCap: 30_000_000n } });
    await app.initChain(genesis);
    let last = performance.now();
    let worst = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 5);
    try {
      // 30M gas of looping is about 0.8 s of EVM work on this machine; before, all on this thread.
      const r = answer((await app.query('call', callData({ to: bytesOf(LOOP) }))).value);
      assert.equal(r.code, 'OUT_OF_GAS');
    } finally {
      clearInterval(ticker);
    }
    // The gap up to now counts too: a thread held for the whole call never ticks at all.
    worst = Math.max(worst, performance.now() - last);
    assert.ok(worst < 200, `the main thread stalled for ${worst.toFixed(0)} ms`);
  });
});

test('beyond the workers and the queue bound, calls are refused with EvmCallBusyError at once', async () => {
  await withDb(async (open) => {
    // 30M gas (about 0.8 s) each: the first call is still running when the third arrives, even on a loaded machine.
    const { app } = await open({ calls: { pool: await pool({ workers: 1, maxQueued: 1, cpuShare: 1, timeoutMs: 40_000 }), gasCap: 30_000_000n } });
    await app.initChain(genesis);
    const calls = [0, 1, 2].map(() => app.query('call', callData({ to: bytesOf(LOOP) })));
    const settled = await Promise.allSettled(calls);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'rejected']);
    assert.ok((settled[2] as PromiseRejectedResult).reason instanceof EvmCallBusyError);
  });
});

test('a worker rests after each call so that calls keep to the pool\'s CPU share', async () => {
  await withDb(async (open) => {
    const { app } = await open({ calls: { pool: await pool({ workers: 1, cpuShare: 0.25 }), gasCap: 5_000_000n } });
    await app.initChain(genesis);
    const loop = () => app.query('call', callData({ to: bytesOf(LOOP) }));
    const t0 = performance.now();
    await loop();
    const first = performance.now() - t0;
    await loop();
    const second = performance.now() - t0 - first;
    // At a quarter of a core, the worker rests three times as long as the first call ran.
    assert.ok(second >= 2.5 * first, `first ${first.toFixed(0)} ms, second ${second.toFixed(0)} ms`);
  });
});

test('a call reads one height: its state and block number agree though blocks commit while it runs', async () => {
  await withDb(async (open) => {
    const { app } = await open({ calls: { pool: await pool({ workers: 1 }), gasCap: 30_000_000n } });
    await app.initChain(genesis);
    const bump = async (height: number) => {
      const tx = await sign(wallets[0]!, height - 1, { to: COUNTER, data: '0x', gasLimit: 100_000 });
      const r = await app.executeBlock({ height, time: 1_700_000_000_000 + height * 1000 }, [tx]);
      await app.commit(height, r.executionId);
    };
    await bump(1);
    // About 0.3 s of looping before the reads: the commits below land meanwhile.
    const pending = app.query('call', callData({ to: bytesOf(COUNTER), data: encode32(300_000n) }));
    for (const h of [2, 3]) await bump(h);
    const committedMeanwhile = app.committedHeight;
    const { height, value } = await pending;
    const r = answer(value);
    assert.equal(r.code, 'OK');
    const slot = BigInt(`0x${Buffer.from(r.returnData.subarray(0, 32)).toString('hex')}`);
    const number = BigInt(`0x${Buffer.from(r.returnData.subarray(32, 64)).toString('hex')}`);
    assert.equal(committedMeanwhile, 3);
    assert.equal(height, 1);
    assert.deepEqual([slot, number], [1n, 2n]);
  });
});

function encode32(n: bigint): Uint8Array {
  return bytesOf(n.toString(16).padStart(64, '0'));
}
