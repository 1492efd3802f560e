/** The simulated network: delays drawn from a model, drops, duplicates and partitions. */
import type { Prng } from './prng.js';
import type { DelayModel, Scenario } from './scenario.js';

export function sampleDelay(rng: Prng, model: DelayModel): number {
  switch (model.kind) {
    case 'uniform':
      return rng.range(model.min, model.max);
    case 'bimodal':
      return rng.chance(model.slowProb) ? rng.range(model.max, model.slowMax) : rng.range(model.min, model.max);
    case 'exponential':
      return Math.min(model.cap, model.min + rng.exponential(model.mean));
  }
}

export class Network {
  constructor(
    private readonly scenario: Scenario,
    private readonly rng: Prng,
  ) {}

  private partitioned(from: number, to: number, now: number): boolean {
    for (const p of this.scenario.partitions) {
      if (now < p.from || now >= p.to) continue;
      const side = (id: number) => p.groups.findIndex((g) => g.includes(id));
      if (side(from) !== side(to)) return true;
    }
    return false;
  }

  /** The delays after which copies of one message arrive; empty when it is lost. */
  deliveries(from: number, to: number, now: number): number[] {
    const faulty = now < this.scenario.healAt;
    if (!faulty) return [sampleDelay(this.rng, this.scenario.calmDelay)];
    if (this.partitioned(from, to, now) || this.rng.chance(this.scenario.drop)) return [];
    const first = sampleDelay(this.rng, this.scenario.faultDelay);
    return this.rng.chance(this.scenario.duplicate) ? [first, sampleDelay(this.rng, this.scenario.faultDelay)] : [first];
  }
}
