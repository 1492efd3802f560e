import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFrame, FrameDecoder } from './frame.js';
import { FrameEncodeError, FrameTooLargeError } from './errors.js';

test('frames survive any split of the byte stream into chunks', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ channel: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
      (frames, cuts) => {
        const stream = Buffer.concat(frames.map((f) => encodeFrame(f, 1024)));
        const decoder = new FrameDecoder(1024);
        const got = [];
        let offset = 0;
        let i = 0;
        while (offset < stream.length) {
          const size = cuts[i++ % cuts.length]!;
          got.push(...decoder.push(stream.subarray(offset, offset + size)));
          offset += size;
        }
        assert.deepEqual(got.map((f) => ({ channel: f.channel, payload: Buffer.from(f.payload) })), frames.map((f) => ({ channel: f.channel, payload: Buffer.from(f.payload) })));
        assert.equal(decoder.pendingBytes, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('an oversized or empty declared length is refused before the payload arrives', () => {
  const decoder = new FrameDecoder(1000);
  assert.throws(() => decoder.push(Buffer.from([0x00, 0x00, 0x03, 0xe9])), FrameTooLargeError);
  assert.throws(() => new FrameDecoder(1000).push(Buffer.from([0, 0, 0, 0])), FrameTooLargeError);
  assert.throws(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xff, 1])), FrameTooLargeError);
});

test('random byte streams either decode into frames or fail with FrameTooLargeError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      const decoder = new FrameDecoder(512);
      try {
        for (const f of decoder.push(bytes)) assert.ok(f.payload.length < 512);
      } catch (err) {
        assert.ok(err instanceof FrameTooLargeError, String(err));
      }
    }),
    { numRuns: 1000 },
  );
});

test('the encoder refuses frames it could not send', () => {
  assert.throws(() => encodeFrame({ channel: 256, payload: new Uint8Array(1) }), FrameEncodeError);
  assert.throws(() => encodeFrame({ channel: 1, payload: new Uint8Array(100) }, 50), FrameEncodeError);
});
