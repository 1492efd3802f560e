/**
 * Peer scores and bans, by certificate fingerprint. A peer starts at `initial`; each offence costs
 * its penalty; the score creeps back at `recoveryPerSecond` so that a rare glitch is forgiven while
 * a stream of bad data is not. Falling below `banBelow` bans the peer for `banMs`. Time is read
 * lazily from the injected clock, so there are no timers to clean up.
 */
export type Offence = 'malformedFrame' | 'undecodable' | 'protocol' | 'invalid' | 'overflow';

export interface ScoringOptions {
  readonly initial: number;
  readonly banBelow: number;
  readonly banMs: number;
  readonly recoveryPerSecond: number;
  readonly penalties: Readonly<Record<Offence, number>>;
}

export const DEFAULT_SCORING: ScoringOptions = Object.freeze({
  initial: 100,
  banBelow: 0,
  banMs: 60_000,
  recoveryPerSecond: 1,
  // overflow: the peer did not read what it was sent until its queue limit; it may only be slow, so less than a lie.
  penalties: Object.freeze({ malformedFrame: 50, undecodable: 20, protocol: 20, invalid: 40, overflow: 30 }),
});

interface Entry {
  score: number;
  at: number;
}

export class PeerScores {
  private readonly scores = new Map<string, Entry>();
  private readonly bans = new Map<string, number>();

  constructor(
    private readonly options: ScoringOptions,
    private readonly now: () => number,
  ) {}

  score(fingerprint: string): number {
    const entry = this.scores.get(fingerprint);
    if (!entry) return this.options.initial;
    const recovered = ((this.now() - entry.at) / 1000) * this.options.recoveryPerSecond;
    return Math.min(this.options.initial, entry.score + recovered);
  }

  /** Applies an offence; returns true when it pushed the peer under the ban threshold. */
  penalize(fingerprint: string, offence: Offence): boolean {
    if (this.isBanned(fingerprint)) return false;
    const score = this.score(fingerprint) - this.options.penalties[offence];
    this.scores.set(fingerprint, { score, at: this.now() });
    return score < this.options.banBelow;
  }

  ban(fingerprint: string): number {
    const until = this.now() + this.options.banMs;
    this.bans.set(fingerprint, until);
    this.scores.delete(fingerprint);
    return until;
  }

  /** The time the ban ends, or undefined when the peer is not banned. */
  bannedUntil(fingerprint: string): number | undefined {
    const until = this.bans.get(fingerprint);
    if (until === undefined) return undefined;
    if (until > this.now()) return until;
    this.bans.delete(fingerprint);
    return undefined;
  }

  isBanned(fingerprint: string): boolean {
    return this.bannedUntil(fingerprint) !== undefined;
  }

  bannedCount(): number {
    for (const fingerprint of [...this.bans.keys()]) this.bannedUntil(fingerprint);
    return this.bans.size;
  }
}
