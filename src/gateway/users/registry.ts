import type { GatewaySublevel } from '../store.js';
import { UserExistsError, UserNotFoundError } from './errors.js';

/*
 * The users of each app registered through this gateway, in the gateway store's `users`
 * sublevel: `u/<app>/<name>` → the user's record (JSON), `d/<fingerprint>` → a deleted user's
 * certificate. Deleted certificates are refused by this gateway for good (the set is small and
 * kept in memory); network-wide revocation is the operator CA's CRL. Writes run one at a time, so
 * two registrations of one name cannot both succeed.
 */

export type UserMode = 'own-key' | 'hosted';

export interface UserRecord {
  readonly name: string;
  readonly appId: string;
  readonly mode: UserMode;
  /** The issued certificate, PEM. */
  readonly certificate: string;
  /** Lower-case hex serial. */
  readonly serial: string;
  /** SHA-256 of the certificate DER, upper-case colon hex (as `AuthIdentity.fingerprint`). */
  readonly fingerprint: string;
  readonly suite: string;
  readonly notAfter: string;
  readonly createdAt: string;
  /** The fingerprint of the admin certificate that registered the user. */
  readonly createdBy: string;
  /** Hosted users: the sender address of the transactions the gateway signs for them. */
  readonly address?: string;
  /** Hosted users: the certificate key (PKCS#8), sealed by the vault. */
  readonly sealedKey?: string;
  /** Hosted users of EVM apps: the Ethereum key (32 bytes), sealed by the vault. */
  readonly sealedEthKey?: string;
}

interface DeletedRecord {
  readonly appId: string;
  readonly name: string;
  readonly deletedAt: string;
}

const userKey = (appId: string, name: string): string => `u/${appId}/${name}`;

/** A name taken by a registration whose certificate is being issued. */
interface PendingRecord {
  readonly name: string;
  readonly appId: string;
  readonly pending: true;
  readonly since: string;
}

const isPending = (r: UserRecord | PendingRecord): r is PendingRecord => (r as PendingRecord).pending === true;

export class UserRegistry {
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: GatewaySublevel,
    private readonly deleted: Set<string>,
  ) {}

  static async open(db: GatewaySublevel): Promise<UserRegistry> {
    const deleted = new Set<string>();
    for await (const key of db.keys({ gte: 'd/', lt: 'd0' })) deleted.add(key.slice(2));
    return new UserRegistry(db, deleted);
  }

  async get(appId: string, name: string): Promise<UserRecord | undefined> {
    const text = await this.db.get(userKey(appId, name));
    const record = text === undefined ? undefined : (JSON.parse(text) as UserRecord | PendingRecord);
    return record === undefined || isPending(record) ? undefined : record;
  }

  async list(appId: string): Promise<UserRecord[]> {
    const out: UserRecord[] = [];
    // '0' follows '/' in ASCII: the range is exactly the keys under `u/<app>/`.
    for await (const value of this.db.values({ gte: `u/${appId}/`, lt: `u/${appId}0` })) {
      const record = JSON.parse(value) as UserRecord | PendingRecord;
      if (!isPending(record)) out.push(record);
    }
    return out;
  }

  /**
   * Registers a user whose certificate `enroll` issues: the name is written (as pending) before
   * `enroll` runs, in the serial queue, so a concurrent registration of the same name fails
   * before issuing anything and no certificate is left without its record (L8(1)). A pending
   * record left by a crash keeps the name taken until an admin deletes it.
   */
  register(appId: string, name: string, enroll: () => UserRecord): Promise<UserRecord> {
    return this.serial(async () => {
      const key = userKey(appId, name);
      if ((await this.db.get(key)) !== undefined) throw new UserExistsError(`app '${appId}' already has a user '${name}'`);
      const pending: PendingRecord = { name, appId, pending: true, since: new Date().toISOString() };
      await this.db.put(key, JSON.stringify(pending));
      let record: UserRecord;
      try {
        record = enroll();
      } catch (err) {
        await this.db.del(key);
        throw err;
      }
      await this.db.put(key, JSON.stringify(record));
      return record;
    });
  }

  /** Stores a new user; UserExistsError when the app already has one of that name. */
  add(record: UserRecord): Promise<void> {
    return this.serial(async () => {
      if ((await this.db.get(userKey(record.appId, record.name))) !== undefined) {
        throw new UserExistsError(`app '${record.appId}' already has a user '${record.name}'`);
      }
      await this.db.put(userKey(record.appId, record.name), JSON.stringify(record));
    });
  }

  /** Removes a user (and its sealed keys) and refuses its certificate from now on. */
  remove(appId: string, name: string): Promise<UserRecord> {
    return this.serial(async () => {
      const text = await this.db.get(userKey(appId, name));
      if (text === undefined) throw new UserNotFoundError(`app '${appId}' has no user '${name}'`);
      const found = JSON.parse(text) as UserRecord | PendingRecord;
      if (isPending(found)) {
        // Left by a crash during its registration: no certificate was recorded, so nothing to refuse.
        await this.db.del(userKey(appId, name));
        return { ...found, mode: 'own-key', certificate: '', serial: '', fingerprint: '', suite: '', notAfter: '', createdAt: found.since, createdBy: '' };
      }
      const record = found;
      const tombstone: DeletedRecord = { appId, name, deletedAt: new Date().toISOString() };
      await this.db.batch([
        { type: 'del', key: userKey(appId, name) },
        { type: 'put', key: `d/${record.fingerprint}`, value: JSON.stringify(tombstone) },
      ]);
      this.deleted.add(record.fingerprint);
      return record;
    });
  }

  /** Whether a certificate (by fingerprint) belongs to a deleted user. */
  isDeleted(fingerprint: string): boolean {
    return this.deleted.has(fingerprint);
  }

  /** Runs writes one after another. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
