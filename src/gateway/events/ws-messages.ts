import { EventsBadMessageError, EventsBadRequestError, EventsMessageTooLargeError } from './errors.js';

/*
 * The client → server messages of the events WebSocket (docs/gateway-events.md). Decoding checks
 * shape only; what the fields mean for the app (type, filter, fromHeight) is checked by spec.ts.
 */

export type ClientMessage =
  | { readonly op: 'subscribe'; readonly id: string; readonly type: unknown; readonly filter?: unknown; readonly fromHeight?: unknown }
  | { readonly op: 'unsubscribe'; readonly id: string };

/** Subscription ids: chosen by the client, echoed on every event. */
export const SUBSCRIPTION_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const FIELDS: Record<ClientMessage['op'], ReadonlySet<string>> = {
  subscribe: new Set(['op', 'id', 'type', 'filter', 'fromHeight']),
  unsubscribe: new Set(['op', 'id']),
};

/** The `id` of a message that may not decode, to address an error to it (undefined if none usable). */
export function messageId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as Record<string, unknown>)['id'];
  return typeof id === 'string' && SUBSCRIPTION_ID.test(id) ? id : undefined;
}

/** Parses JSON text, refusing it when over `maxBytes` bytes (before parsing it). */
export function parseJsonMessage(text: string, maxBytes: number): unknown {
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw new EventsMessageTooLargeError(`messages are at most ${maxBytes} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EventsBadMessageError('the message is not JSON');
  }
}

/** A decoded message, or a typed error naming what is wrong. */
export function decodeClientMessage(value: unknown): ClientMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EventsBadMessageError('a message is a JSON object with an "op"');
  const m = value as Record<string, unknown>;
  const op = m['op'];
  if (op !== 'subscribe' && op !== 'unsubscribe') throw new EventsBadMessageError('op: expected "subscribe" or "unsubscribe"');
  for (const key of Object.keys(m)) {
    if (!FIELDS[op].has(key)) throw new EventsBadRequestError(`unknown field '${key.slice(0, 40)}' in a ${op} message`);
  }
  const id = m['id'];
  if (typeof id !== 'string' || !SUBSCRIPTION_ID.test(id)) throw new EventsBadRequestError('id: expected 1 to 64 characters of A-Z a-z 0-9 . _ : -');
  if (op === 'unsubscribe') return { op, id };
  return { op, id, type: m['type'], ...(m['filter'] !== undefined && { filter: m['filter'] }), ...(m['fromHeight'] !== undefined && { fromHeight: m['fromHeight'] }) };
}
