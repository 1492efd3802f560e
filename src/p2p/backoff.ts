/** Redial delays: exponential from `baseMs`, capped at `capMs`, with jitter so that nodes restarted together do not dial in lockstep. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 250, capMs: 30_000 });

/** A source of uniform numbers in [0, 1), injected so that tests reproduce their delays. */
export type RandomSource = () => number;

/**
 * Delay before dial attempt number `attempt` (0 = the first dial, made at once). "Equal jitter":
 * half the exponential step plus a random half, so a delay never collapses to zero.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: RandomSource): number {
  if (attempt <= 0) return 0;
  const step = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** mulberry32: a small seeded generator for tests and simulations; not for anything secret. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
