import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ClassicLevel } from 'classic-level';
import { getSuite, type Suite } from '../crypto/index.js';
import { CodecError, SchemaError } from '../codec/index.js';
import { checkBlockLinks, decodeBlock, encodeBlock, headerHash, txRoot, type Block, type BlockHeader } from './block.js';
import { BlockStore } from './block-store.js';
import { BlockFormatError, BlockStoreError } from './errors.js';
import { merkleRoot } from './merkle.js';

const suite = getSuite('ecdsa-p256');
const same = (a: Uint8Array | undefined, b: Uint8Array) => assert.deepEqual(a && Buffer.from(a), Buffer.from(b));

// RFC 6962 §2.1 as written: split at the largest power of two smaller than n.
function referenceRoot(s: Suite, leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return s.hash(new Uint8Array(0));
  if (leaves.length === 1) return s.hash(Buffer.concat([Buffer.of(0), leaves[0]!]));
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return s.hash(Buffer.concat([Buffer.of(1), referenceRoot(s, leaves.slice(0, k)), referenceRoot(s, leaves.slice(k))]));
}

test('the Merkle root equals RFC 6962 recursive definition for every size', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 40 }), (leaves) => {
      same(merkleRoot(suite, leaves), referenceRoot(suite, leaves));
    }),
  );
});

function makeBlock(parent: BlockHeader | undefined, txs: Uint8Array[]): Block {
  return {
    header: {
      chainId: 'demo',
      height: parent ? parent.height + 1 : 1,
      time: parent ? parent.time + 1000 : 1_700_000_000_000,
      parentHash: parent ? headerHash(suite, parent) : new Uint8Array(0),
      txRoot: txRoot(suite, txs),
      stateRoot: new Uint8Array(32).fill(1),
      resultsRoot: new Uint8Array(32).fill(2),
      validatorSetHash: new Uint8Array(32).fill(3),
      proposer: 'ab'.repeat(20),
    },
    txs,
  };
}

test('blocks round-trip through their canonical encoding and link to their parents', () => {
  const b1 = makeBlock(undefined, [new Uint8Array([1, 2, 3])]);
  const b2 = makeBlock(b1.header, [new Uint8Array([4]), new Uint8Array([5])]);
  same(encodeBlock(decodeBlock(encodeBlock(b2))), encodeBlock(b2));
  assert.equal(decodeBlock(encodeBlock(b2)).header.height, 2);
  checkBlockLinks(suite, b1, undefined, 'demo');
  checkBlockLinks(suite, b2, b1.header, 'demo');
  assert.throws(() => checkBlockLinks(suite, b2, undefined, 'demo'), BlockFormatError);
  assert.throws(() => checkBlockLinks(suite, b2, b1.header, 'other'), BlockFormatError);
  assert.throws(() => checkBlockLinks(suite, { ...b2, txs: [new Uint8Array([4])] }, b1.header, 'demo'), BlockFormatError);
  const forged = makeBlock(b1.header, []);
  assert.throws(() => checkBlockLinks(suite, { ...forged, header: { ...forged.header, parentHash: new Uint8Array(32) } }, b1.header, 'demo'), BlockFormatError);
});

test('mutated block bytes decode to a typed error or to a different, still canonical block', () => {
  const bytes = encodeBlock(makeBlock(undefined, [new Uint8Array(40).fill(9)]));
  fc.assert(
    fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const mutated = Uint8Array.from(bytes);
      mutated[at]! ^= flip;
      try {
        same(encodeBlock(decodeBlock(mutated)), mutated);
      } catch (err) {
        assert.ok(err instanceof CodecError || err instanceof SchemaError || err instanceof BlockFormatError, String(err));
      }
    }),
    { numRuns: 2000 },
  );
});

test('the block store keeps heights in order, durably, across a reopen', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-store-'));
  const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
  const store = await BlockStore.open(db, 'demo');
  assert.equal(store.height, 0);
  await store.append(1, Uint8Array.of(1), Uint8Array.of(11));
  await store.append(2, Uint8Array.of(2), Uint8Array.of(22));
  await assert.rejects(store.append(4, Uint8Array.of(4), Uint8Array.of(44)), BlockStoreError);
  await assert.rejects(store.append(2, Uint8Array.of(2), Uint8Array.of(22)), BlockStoreError);
  const other = await BlockStore.open(db, 'other');
  assert.equal(other.height, 0);
  await db.close();
  const reopened = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
  const again = await BlockStore.open(reopened, 'demo');
  assert.equal(again.height, 2);
  same(await again.block(2), Uint8Array.of(2));
  same(await again.certificate(1), Uint8Array.of(11));
  assert.equal(await again.block(3), undefined);
  await reopened.close();
  rmSync(dir, { recursive: true, force: true });
});
