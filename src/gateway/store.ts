import { mkdirSync } from 'node:fs';
import type { AbstractSublevel } from 'abstract-level';
import { ClassicLevel } from 'classic-level';

/*
 * The gateway's own durable state (users and their encrypted hosted keys, API keys, webhook
 * subscriptions and their delivery outbox, metering totals), kept apart from the node's chain
 * database so that a gateway can be wiped or moved without touching any chain. One LevelDB per
 * gateway, one sublevel per feature; values are JSON text.
 */

/** One feature's part of the store: string keys, JSON-text values. */
export type GatewaySublevel = AbstractSublevel<ClassicLevel<string, string>, string | Buffer | Uint8Array, string, string>;

export class GatewayStore {
  private constructor(private readonly db: ClassicLevel<string, string>) {}

  /** Opens (creating when absent) the store in `dir`; `<dataDir>/gateway` for a city node. */
  static async open(dir: string): Promise<GatewayStore> {
    // 0700 before LevelDB creates it with the umask's mode: it holds sealed keys and webhook secrets.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const db = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    return new GatewayStore(db);
  }

  /** The sublevel of one feature ('users', 'apikeys', 'webhooks', 'meter', ...). */
  sublevel(name: string): GatewaySublevel {
    return this.db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
