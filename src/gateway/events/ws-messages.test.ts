import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventsError } from './errors.js';
import { parseEventSpec, parseFromHeight } from './spec.js';
import { decodeClientMessage, messageId, parseJsonMessage } from './ws-messages.js';

const TOPIC = `0x${'ab'.repeat(32)}`;
const ADDRESS = `0x${'12'.repeat(20)}`;

/** Runs `f`; passes when it returns or throws an EventsError, and returns that error's code. */
function outcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof EventsError, `not a typed error: ${String(err)}`);
    return err.code;
  }
}

test('well-formed subscribe and unsubscribe messages decode', () => {
  assert.deepEqual(decodeClientMessage({ op: 'subscribe', id: 'a-1', type: 'logs', filter: { address: ADDRESS }, fromHeight: 3 }), { op: 'subscribe', id: 'a-1', type: 'logs', filter: { address: ADDRESS }, fromHeight: 3 });
  assert.deepEqual(decodeClientMessage({ op: 'unsubscribe', id: 'x' }), { op: 'unsubscribe', id: 'x' });
});

test('each malformed message gets its own code', () => {
  assert.equal(outcome(() => parseJsonMessage('{"op":', 100)), 'EVENTS_BAD_MESSAGE');
  assert.equal(outcome(() => parseJsonMessage(`"${'x'.repeat(200)}"`, 100)), 'EVENTS_MESSAGE_TOO_LARGE');
  assert.equal(outcome(() => decodeClientMessage([1])), 'EVENTS_BAD_MESSAGE');
  assert.equal(outcome(() => decodeClientMessage({ op: 'ping' })), 'EVENTS_BAD_MESSAGE');
  assert.equal(outcome(() => decodeClientMessage({ op: 'subscribe', id: '', type: 'blocks' })), 'EVENTS_BAD_REQUEST');
  assert.equal(outcome(() => decodeClientMessage({ op: 'subscribe', id: 'a'.repeat(65), type: 'blocks' })), 'EVENTS_BAD_REQUEST');
  assert.equal(outcome(() => decodeClientMessage({ op: 'subscribe', id: 'a', type: 'blocks', extra: 1 })), 'EVENTS_BAD_REQUEST');
  assert.equal(outcome(() => decodeClientMessage({ op: 'unsubscribe', id: 'a', type: 'blocks' })), 'EVENTS_BAD_REQUEST');
  assert.equal(messageId({ op: 'x', id: 'ok' }), 'ok');
  assert.equal(messageId({ id: 'not ok!' }), undefined);
});

test('type, filter and fromHeight are checked against the app', () => {
  assert.deepEqual(parseEventSpec('blocks', undefined, false), { type: 'blocks' });
  assert.equal(outcome(() => parseEventSpec('blocks', {}, true)), 'EVENTS_BAD_FILTER');
  assert.equal(outcome(() => parseEventSpec('logs', undefined, false)), 'EVENTS_WRONG_APP_KIND');
  assert.equal(outcome(() => parseEventSpec('txs', undefined, true)), 'EVENTS_BAD_REQUEST');
  assert.equal(outcome(() => parseEventSpec('logs', { fromBlock: '0x1' }, true)), 'EVENTS_BAD_FILTER');
  assert.equal(outcome(() => parseEventSpec('logs', { address: '0x12' }, true)), 'EVENTS_BAD_FILTER');
  assert.equal(outcome(() => parseEventSpec('logs', { topics: [[TOPIC], null, 'nope'] }, true)), 'EVENTS_BAD_FILTER');
  const spec = parseEventSpec('logs', { address: ADDRESS.toUpperCase().replace('0X', '0x'), topics: [TOPIC, null] }, true);
  assert.equal(spec.type, 'logs');
  if (spec.type === 'logs') {
    assert.deepEqual(spec.filter.addresses, [ADDRESS]);
    assert.deepEqual(spec.filter.topics, [[TOPIC], null]);
  }
  assert.equal(parseFromHeight(undefined, 7), 8);
  assert.equal(parseFromHeight(1, 7), 1);
  assert.equal(parseFromHeight(8, 7), 8);
  assert.equal(outcome(() => parseFromHeight(9, 7)), 'EVENTS_BAD_HEIGHT');
  for (const bad of [0, -1, 1.5, '3', null, Number.MAX_SAFE_INTEGER + 2]) assert.equal(outcome(() => parseFromHeight(bad, 7)), 'EVENTS_BAD_REQUEST');
});

test('generated messages decode or fail with a typed error, never anything else', () => {
  const field = fc.oneof(fc.constant(undefined), fc.jsonValue(), fc.constantFrom('blocks', 'logs', 'subscribe', 'unsubscribe', 'a', ADDRESS, TOPIC));
  const messageLike = fc.record({ op: field, id: field, type: field, filter: fc.oneof(field, fc.record({ address: field, topics: fc.oneof(field, fc.array(field, { maxLength: 5 })) })), fromHeight: field }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), messageLike), fc.boolean(), (value, hasLogs) => {
      outcome(() => {
        const m = decodeClientMessage(parseJsonMessage(JSON.stringify(value) ?? 'undefined', 16 * 1024));
        if (m.op === 'subscribe') {
          parseEventSpec(m.type, m.filter, hasLogs);
          parseFromHeight(m.fromHeight, 10);
        }
      });
    }),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => void outcome(() => decodeClientMessage(parseJsonMessage(text, 100)))), { numRuns: 1000 });
});
