import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { CaDirectoryError, IssuancePolicyError, ShareForeignError, ShareInvalidError, SharesInsufficientError } from './errors.js';

/**
 * k-of-n custody of a root key (see docs/pki.md, "Key custody"). The key file is encrypted under
 * a password derived from the ceremony passphrase AND a random 32-byte data key; the data key is
 * split with Shamir's scheme, one share per custodian. Shamir cannot detect a wrong share, so:
 * each share file carries a checksum (accidental damage), the CA directory keeps a SHA-256
 * commitment per share (deliberate alteration, pinpointing the file), and a key check value
 * confirms the reconstructed data key before it is used.
 */

export const CUSTODY_FILE = 'custody.json';
const SHARE_FORMAT = 'bsn-key-share/1';
const CUSTODY_FORMAT = 'bsn-key-custody/1';

export interface CustodyRecord {
  readonly format: typeof CUSTODY_FORMAT;
  readonly ceremony: string;
  readonly threshold: number;
  readonly total: number;
  readonly keyCheck: string;
  /** SHA-256 commitment of share i at index i-1. */
  readonly commitments: readonly string[];
}

export interface ShareFile {
  readonly format: typeof SHARE_FORMAT;
  readonly ceremony: string;
  /** The CA's name and certificate fingerprint, so custodians can tell their shares apart. */
  readonly ca: string;
  readonly fingerprint: string;
  readonly index: number;
  readonly threshold: number;
  readonly total: number;
  readonly share: string;
  readonly checksum: string;
}

/** A share file as given on the command line: its name (for messages) and its text. */
export interface ShareInput {
  readonly name: string;
  readonly text: string;
}

const sha256 = (...parts: (string | Uint8Array)[]): string => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest('hex');
};

const keyCheckOf = (dataKey: Uint8Array): string => createHmac('sha256', dataKey).update('bsn-key-check/1').digest('hex');

function commitmentOf(ceremony: string, index: number, share: Uint8Array): string {
  return sha256('bsn-share-commitment/1\0', ceremony, '\0', String(index), '\0', share);
}

function checksumOf(share: Omit<ShareFile, 'checksum'>): string {
  const fields = [share.format, share.ceremony, share.ca, share.fingerprint, share.index, share.threshold, share.total, share.share];
  return sha256(fields.join('\n'));
}

/** The password of the key file: neither the passphrase nor the shares alone open it. */
export function custodyPassword(dataKey: Uint8Array, passphrase: string): string {
  return createHmac('sha256', dataKey).update('bsn-key-unlock/1\0').update(passphrase, 'utf8').digest('hex');
}

export function checkShareParameters(total: number, threshold: number): void {
  if (!Number.isInteger(total) || !Number.isInteger(threshold) || threshold < 2 || total < threshold || total > 255) {
    throw new IssuancePolicyError(`need 2 <= threshold <= shares <= 255, got ${threshold} of ${total}`);
  }
}

export interface Custody {
  readonly dataKey: Uint8Array;
  readonly record: CustodyRecord;
  readonly shares: readonly ShareFile[];
}

/** A new data key split `threshold`-of-`total`, with the share files for the custodians. */
export async function createCustody(total: number, threshold: number, ca: string, fingerprint: string): Promise<Custody> {
  checkShareParameters(total, threshold);
  const dataKey = new Uint8Array(randomBytes(32));
  const ceremony = randomBytes(16).toString('hex');
  const raw = await split(dataKey, total, threshold);
  const shares = raw.map((bytes, i) => {
    const body = { format: SHARE_FORMAT, ceremony, ca, fingerprint, index: i + 1, threshold, total, share: Buffer.from(bytes).toString('base64') } as const;
    return { ...body, checksum: checksumOf(body) };
  });
  const record: CustodyRecord = {
    format: CUSTODY_FORMAT,
    ceremony,
    threshold,
    total,
    keyCheck: keyCheckOf(dataKey),
    commitments: raw.map((bytes, i) => commitmentOf(ceremony, i + 1, bytes)),
  };
  return { dataKey, record, shares };
}

export function parseCustodyRecord(text: string): CustodyRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CaDirectoryError(`${CUSTODY_FILE} is not JSON`, { cause });
  }
  const r = value as Partial<CustodyRecord>;
  if (r?.format !== CUSTODY_FORMAT || typeof r.ceremony !== 'string' || !Array.isArray(r.commitments) || typeof r.keyCheck !== 'string') {
    throw new CaDirectoryError(`${CUSTODY_FILE} is not a ${CUSTODY_FORMAT} record`);
  }
  checkShareParameters(Number(r.total), Number(r.threshold));
  return r as CustodyRecord;
}

function parseShare(input: ShareInput): ShareFile {
  let value: unknown;
  try {
    value = JSON.parse(input.text);
  } catch (cause) {
    throw new ShareInvalidError(`'${input.name}' is not a key share file`, { cause });
  }
  const s = value as Partial<ShareFile>;
  const fields = ['ceremony', 'ca', 'fingerprint', 'share', 'checksum'] as const;
  if (s?.format !== SHARE_FORMAT || fields.some((f) => typeof s[f] !== 'string') || !Number.isInteger(s.index)) {
    throw new ShareInvalidError(`'${input.name}' is not a ${SHARE_FORMAT} file`);
  }
  const share = s as ShareFile;
  const { checksum, ...body } = share;
  if (checksumOf(body) !== checksum) throw new ShareInvalidError(`'${input.name}' fails its checksum: the share file was altered or damaged`);
  return share;
}

/** Checks every share against the ceremony, then reconstructs and confirms the data key. */
export async function recoverDataKey(record: CustodyRecord, inputs: readonly ShareInput[]): Promise<Uint8Array> {
  const byIndex = new Map<number, Uint8Array>();
  for (const input of inputs) {
    const share = parseShare(input);
    if (share.ceremony !== record.ceremony) {
      throw new ShareForeignError(`'${input.name}' belongs to another key ceremony (${share.ca}, ${share.fingerprint})`);
    }
    const bytes = new Uint8Array(Buffer.from(share.share, 'base64'));
    const expected = record.commitments[share.index - 1];
    if (expected === undefined || commitmentOf(record.ceremony, share.index, bytes) !== expected) {
      throw new ShareInvalidError(`'${input.name}' does not match the ceremony's commitment for share ${share.index}: it was altered`);
    }
    byIndex.set(share.index, bytes);
  }
  if (byIndex.size < record.threshold) {
    throw new SharesInsufficientError(`${byIndex.size} distinct key share(s) given; this key needs ${record.threshold} of ${record.total}`);
  }
  const dataKey = await combine([...byIndex.values()].slice(0, record.threshold));
  const check = Buffer.from(keyCheckOf(dataKey), 'hex');
  const stored = Buffer.from(record.keyCheck, 'hex');
  if (stored.length !== check.length || !timingSafeEqual(check, stored)) {
    throw new ShareInvalidError('the shares do not reconstruct the key (custody record or shares inconsistent)');
  }
  return dataKey;
}
