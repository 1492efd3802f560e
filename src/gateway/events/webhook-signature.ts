import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * How a webhook delivery is signed: HMAC-SHA256, keyed by the webhook's secret (its UTF-8
 * text), over `<timestamp>.<body>`, sent as `x-bsn-signature: sha256=<hex>`. The timestamp is in
 * the signed bytes so that a receiver can refuse old deliveries replayed by someone who saw one.
 */

export const WEBHOOK_HEADERS = {
  signature: 'x-bsn-signature',
  /** Milliseconds since the epoch when this attempt was signed. */
  timestamp: 'x-bsn-timestamp',
  /** The same on every attempt of one event to one webhook: `<webhookId>:<height>[:<logIndex>]`. */
  idempotencyKey: 'x-bsn-idempotency-key',
  /** 1 for the first attempt of an event, then 2, 3, ... (kept across gateway restarts). */
  attempt: 'x-bsn-delivery-attempt',
  webhookId: 'x-bsn-webhook-id',
} as const;

/** A new webhook secret: `whsec_` and 32 random bytes, hex. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

/** The `x-bsn-signature` value of a delivery. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface VerifyWebhookInput {
  readonly secret: string;
  /** The raw body text, exactly as received. */
  readonly body: string;
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
  /** Largest accepted age of the timestamp, either way; 5 minutes by default. */
  readonly toleranceMs?: number;
  readonly now?: number;
}

/** What a receiver runs: whether the signature is ours and the timestamp recent. Constant-time compare. */
export function verifyWebhook(input: VerifyWebhookInput): boolean {
  const { signature, timestamp } = input;
  if (signature === undefined || timestamp === undefined || !/^\d{1,16}$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  if (Math.abs((input.now ?? Date.now()) - ts) > (input.toleranceMs ?? 5 * 60_000)) return false;
  const expected = Buffer.from(signWebhook(input.secret, ts, input.body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

