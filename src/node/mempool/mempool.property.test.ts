import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import fc from 'fast-check';
import { decode } from '../../codec/index.js';
import { ed25519 } from '../../crypto/index.js';
import { buildKvTx, decodeKvTx, KvApplication } from '../../execution/index.js';
import { InlineVerifier, Mempool, MempoolRejection } from './index.js';

const CHAIN = 'mempool-prop';
const LIMITS = { maxTxs: 10, maxPerSender: 4, maxBytes: 1 << 20 };
const keys = [0, 1, 2].map(() => ed25519.generateKeyPair().privateKey);
/** txs[sender][nonce][variant], signed once for every run. */
// Keys are per sender: a kv key belongs to its first writer, so another sender's write would fail.
const txs = keys.map((privateKey, sender) =>
  Array.from({ length: 8 }, (_, nonce) =>
    [0, 1].map((variant) => buildKvTx({ chainId: CHAIN, privateKey, nonce, ops: [{ type: 'put', key: Uint8Array.of(sender, nonce), value: Uint8Array.of(variant) }] })),
  ),
);

const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), sender: fc.nat(2), nonce: fc.nat(7), variant: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('commit' as const), take: fc.nat(6) }) },
);

test('random adds and commits keep the mempool within bounds and in nonce order', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-mempool-prop-'));
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const db = new ClassicLevel<string, Uint8Array>(path.join(dir, String(run++)), { valueEncoding: 'view' });
        const app = await KvApplication.open(db, CHAIN, { suite: ed25519 });
        await app.initChain({ chainId: CHAIN, time: 0, appState: null });
        const pool = new Mempool({ app, verifier: new InlineVerifier((t) => app.checkStateless(t)), hash: ed25519.hash, limits: LIMITS });
        try {
          for (const s of steps) {
            if (s.kind === 'add') {
              await pool.add(txs[s.sender]![s.nonce]![s.variant]!).catch((e: unknown) => assert.ok(e instanceof MempoolRejection, String(e)));
            } else {
              const block = pool.reap(1 << 20, s.take);
              const height = (await app.info()).height + 1;
              const r = await app.executeBlock({ height, time: height }, block);
              assert.ok(r.results.every((x) => x.ok), 'a reaped block executes without failures');
              await app.commit(height, r.executionId);
              await pool.update(height, block);
            }
            await checkInvariants(pool, app);
          }
        } finally {
          await pool.close();
          await db.close();
        }
      }),
      { numRuns: 60 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function checkInvariants(pool: Mempool, app: KvApplication): Promise<void> {
  assert.ok(pool.count <= LIMITS.maxTxs);
  assert.ok(pool.bytes <= LIMITS.maxBytes);
  const all = pool.reap(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  assert.equal(all.length, pool.readyCount);
  const expected = new Map<string, number>();
  for (const tx of all) {
    const { sender, nonce } = decodeKvTx(tx);
    if (!expected.has(sender)) expected.set(sender, decode((await app.query('nonce', new TextEncoder().encode(sender))).value!) as number);
    assert.equal(nonce, expected.get(sender), 'each sender in nonce order from its committed nonce, no gap');
    expected.set(sender, nonce + 1);
  }
}
