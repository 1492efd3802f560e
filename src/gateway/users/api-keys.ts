import { createHash, randomBytes } from 'node:crypto';
import type { GatewaySublevel } from '../store.js';
import { ApiKeyInvalidError, ApiKeyNotFoundError, ApiKeyWrongAppError } from './errors.js';

/*
 * API keys for an app's read-only routes (docs/gateway-users.md). A key is shown once, when it is
 * made; the store (`apikeys` sublevel, `<app>/<id>` → record) keeps only its SHA-256, so a copy of
 * the store lets no one read. Keys are few per gateway and looked up on every keyed request, so
 * all records are kept in memory by hash.
 */

export interface ApiKeyRecord {
  readonly id: string;
  readonly appId: string;
  readonly label?: string;
  /** SHA-256 of the key text, hex. */
  readonly sha256: string;
  readonly createdAt: string;
  /** The fingerprint of the admin certificate that made it. */
  readonly createdBy: string;
}

/** `bsnk_` and 32 random bytes in base64url: 48 characters. */
const KEY_RE = /^bsnk_[A-Za-z0-9_-]{43}$/;
const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export class ApiKeyRegistry {
  private constructor(
    private readonly db: GatewaySublevel,
    private readonly byHash: Map<string, ApiKeyRecord>,
  ) {}

  static async open(db: GatewaySublevel): Promise<ApiKeyRegistry> {
    const byHash = new Map<string, ApiKeyRecord>();
    for await (const value of db.values()) {
      const record = JSON.parse(value) as ApiKeyRecord;
      byHash.set(record.sha256, record);
    }
    return new ApiKeyRegistry(db, byHash);
  }

  /** Makes a key for `appId`; the key text is returned here and never again. */
  async create(appId: string, createdBy: string, label?: string): Promise<{ record: ApiKeyRecord; key: string }> {
    const key = `bsnk_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = { id: randomBytes(8).toString('hex'), appId, ...(label !== undefined && { label }), sha256: sha256Hex(key), createdAt: new Date().toISOString(), createdBy };
    await this.db.put(`${appId}/${record.id}`, JSON.stringify(record));
    this.byHash.set(record.sha256, record);
    return { record, key };
  }

  list(appId: string): ApiKeyRecord[] {
    return [...this.byHash.values()].filter((r) => r.appId === appId).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async revoke(appId: string, id: string): Promise<void> {
    const record = this.list(appId).find((r) => r.id === id);
    if (!record) throw new ApiKeyNotFoundError(`app '${appId}' has no API key '${id}'`);
    await this.db.del(`${appId}/${id}`);
    this.byHash.delete(record.sha256);
  }

  /** The record of a key valid for `appId`; APIKEY_INVALID for a malformed, unknown or revoked key, APIKEY_WRONG_APP for another app's. */
  check(key: string, appId: string): ApiKeyRecord {
    const record = KEY_RE.test(key) ? this.byHash.get(sha256Hex(key)) : undefined;
    if (!record) throw new ApiKeyInvalidError('the API key is not valid (malformed, unknown or revoked)');
    if (record.appId !== appId) throw new ApiKeyWrongAppError(`the API key is for another app, not '${appId}'`);
    return record;
  }
}
