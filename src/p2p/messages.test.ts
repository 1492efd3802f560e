import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from '../codec/index.js';
import { MessageDecodeError } from './errors.js';
import { BLOCKS_REPLY_OVERHEAD, decodeControl, decodeEnvelope, decodeSync, encodeControl, encodeEnvelope, encodeSync, envelopeOverhead, type ControlMessage, type SyncMessage } from './messages.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('messages have fixed positional encodings (golden bytes)', () => {
  assert.equal(hex(encodeEnvelope('demo', Uint8Array.of(1, 2))), '826464656d6f420102');
  assert.equal(hex(encodeControl({ type: 'hello', version: 1, networkId: 'AB', chains: [{ chainId: 'demo', height: 7 }] })), '8400016241428182646465' + '6d6f07');
  assert.equal(hex(encodeControl({ type: 'chains', chains: [] })), '820180');
  assert.equal(hex(encodeSync({ type: 'statusRequest' })), '8100');
  assert.equal(hex(encodeSync({ type: 'getBlocks', requestId: 1, from: 10, count: 64 })), '8402010a1840');
});

test('every message decodes to what was encoded', () => {
  const control: ControlMessage[] = [
    { type: 'hello', version: 1, networkId: 'AA:BB', chains: [{ chainId: 'a', height: 0 }, { chainId: 'b', height: 2 ** 40 }] },
    { type: 'chains', chains: [{ chainId: 'gov', height: 12 }] },
  ];
  for (const m of control) assert.deepEqual(decodeControl(encodeControl(m)), m);
  const sync: SyncMessage[] = [
    { type: 'statusRequest' },
    { type: 'status', height: 99 },
    { type: 'getBlocks', requestId: 3, from: 1, count: 64 },
    { type: 'blocks', requestId: 3, blocks: [{ height: 1, block: Uint8Array.of(1), certificate: Uint8Array.of(2, 3) }] },
    { type: 'error', requestId: 3, code: 'P2P_SYNC_RANGE', message: 'no' },
  ];
  for (const m of sync) assert.deepEqual(decodeSync(encodeSync(m)), m);
  assert.deepEqual(decodeEnvelope(encodeEnvelope('x', Uint8Array.of(9))), { chainId: 'x', body: Uint8Array.of(9) });
});

test('the size estimate of a blocks reply is never below the real size', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.array(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 70_000 }), fc.uint8Array({ maxLength: 300 })), { maxLength: 5 }), fc.nat(), (chainId, list, requestId) => {
      const blocks = list.map(([height, block, certificate]) => ({ height, block, certificate }));
      const payload = encodeEnvelope(chainId, encodeSync({ type: 'blocks', requestId, blocks }));
      const estimate = envelopeOverhead(chainId) + BLOCKS_REPLY_OVERHEAD.fixed + blocks.reduce((n, b) => n + BLOCKS_REPLY_OVERHEAD.perBlock + b.block.length + b.certificate.length, 0);
      assert.ok(payload.length <= estimate, `${payload.length} > ${estimate}`);
    }),
    { numRuns: 100 },
  );
});

test('decoders turn any input into a message or a MessageDecodeError, nothing else', () => {
  const anyValue = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), fc.constant(null), fc.array(tie('v'), { maxLength: 4 })),
  })).v;
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    anyValue.map((v) => encode(v as never)),
    fc.tuple(fc.nat({ max: 5 }), fc.array(anyValue, { maxLength: 4 })).map(([type, rest]) => encode([type, ...rest] as never)),
  );
  fc.assert(
    fc.property(input, (bytes) => {
      for (const decoder of [decodeEnvelope, decodeControl, decodeSync]) {
        try {
          decoder(bytes);
        } catch (err) {
          assert.ok(err instanceof MessageDecodeError, String(err));
        }
      }
    }),
    { numRuns: 3_000 },
  );
});
