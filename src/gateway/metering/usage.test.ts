import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyRequest } from 'fastify';
import { callerOf } from './caller.js';
import { addUsage, emptyUsage, usageFromJson, usageToJson } from './usage.js';

test('usage rows round-trip through JSON, gas beyond 2^53 included', () => {
  const u = addUsage(emptyUsage(), { requests: 3, requestBytes: 100, responseBytes: 2000, txs: 2, gas: 2n ** 70n + 21_000n });
  assert.deepEqual(usageFromJson(JSON.stringify(usageToJson(u))), u);
  assert.deepEqual(usageToJson(addUsage(u, { requests: 1, gas: 1n })), { requests: 4, requestBytes: 100, responseBytes: 2000, txs: 2, gas: (2n ** 70n + 21_001n).toString() });
});

test('a damaged row reads as zeros, never throws (generated text and JSON)', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      const u = usageFromJson(text);
      for (const k of ['requests', 'requestBytes', 'responseBytes', 'txs'] as const) assert.ok(Number.isSafeInteger(u[k]) && u[k] >= 0);
      assert.ok(u.gas >= 0n);
    }),
    { numRuns: 500 },
  );
  assert.deepEqual(usageFromJson('{"requests":-1,"gas":"1e9","txs":1.5}'), emptyUsage());
});

test('callers: the certificate fingerprint, else a checked API key id, else anonymous; an unchecked x-api-key bills nobody', () => {
  const request = (fields: Record<string, unknown>) => ({ headers: {}, ...fields }) as unknown as FastifyRequest;
  const identity = { subject: 'CN=alice', role: 'user', fingerprint: 'AB:CD' };
  assert.equal(callerOf(request({ identity, apiKeyId: 'k1' })), 'AB:CD');
  assert.equal(callerOf(request({ apiKeyId: '0123abcd' })), 'key:0123abcd');
  assert.equal(callerOf(request({ headers: { 'x-api-key': 'bsnk_someone-elses.id' } })), 'anonymous');
  assert.equal(callerOf(request({ apiKeyId: '../x' })), 'anonymous');
  assert.equal(callerOf(request({})), 'anonymous');
});
