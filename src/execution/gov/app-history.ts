import { StateCorruptError } from '../errors.js';
import { GovHistoryNotInMemoryError } from './errors.js';
import { canonicalJson } from './state.js';
import type { GovLevel } from './store.js';
import type { AppRecord } from './types.js';

/*
 * Every version of every app record, by the governance height that committed it
 * (docs/governance.md, "An app at a governance height"). App chains anchor their blocks to a gov
 * height and ask what the registry said about their app there, on every validator alike, also
 * when replaying blocks from long ago: so the versions are kept for ever, in the gov sublevel,
 * written in the same synced batch as the commit that made them:
 *   av/<appId>/<height, 16 digits>   UTF-8 canonical JSON of the record committed at that height
 * (app ids have no '/', and the fixed width makes key order height order). In memory: every
 * version's height, and the records of the last `window` versions of each app; an older record
 * is read back from LevelDB (appAtAsync), because an app with many users would otherwise hold
 * O(versions × users) in memory.
 */

/** Versions of each app whose records stay in memory. */
export const APP_HISTORY_WINDOW = 64;
/** Older records read back from LevelDB that are kept (an app chain catching up reads one often). */
const READ_BACK_CACHE = 256;
const HEIGHT_DIGITS = 16;
const PREFIX = 'av/';
const utf8 = new TextEncoder();
const text = new TextDecoder('utf-8', { fatal: true });

export const appVersionKey = (appId: string, height: number): string => `${PREFIX}${appId}/${String(height).padStart(HEIGHT_DIGITS, '0')}`;

/** One new version: what a commit writes and, once written, what the history takes in. */
export interface AppVersion {
  readonly id: string;
  readonly height: number;
  readonly bytes: Uint8Array;
  readonly record: AppRecord;
}

interface AppLine {
  /** Every version's height, ascending. */
  readonly heights: number[];
  /** The records of the last `recent.length` heights, in the same order. */
  readonly recent: AppRecord[];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The record as stored: the same object shape before and after a restart (parsed canonical JSON). */
function parseRecord(bytes: Uint8Array, what: string): AppRecord {
  try {
    return deepFreeze(JSON.parse(text.decode(bytes)) as AppRecord);
  } catch (cause) {
    throw new StateCorruptError(`${what}: not JSON`, { cause });
  }
}

/** The version of `record` committed at `height`. */
export function appVersion(height: number, record: AppRecord): AppVersion {
  const bytes = utf8.encode(canonicalJson(record));
  return { id: record.id, height, bytes, record: parseRecord(bytes, `app ${record.id}`) };
}

/** The apps whose record `next` replaced (records are immutable: a change is a new object). */
export function changedApps(height: number, prev: ReadonlyMap<string, AppRecord> | undefined, next: ReadonlyMap<string, AppRecord>): AppVersion[] {
  const out: AppVersion[] = [];
  for (const [id, record] of next) if (prev?.get(id) !== record) out.push(appVersion(height, record));
  return out;
}

/** Index of the last element ≤ h in ascending `heights`, or -1. */
function floorIndex(heights: readonly number[], h: number): number {
  let lo = 0;
  let hi = heights.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (heights[mid]! <= h) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export class AppHistory {
  private readonly lines = new Map<string, AppLine>();
  private readonly readBack = new Map<string, AppRecord>();

  private constructor(
    private readonly level: GovLevel,
    readonly window: number,
  ) {}

  /**
   * The history in `level`. Apps of `current` without any version (a store written before
   * versions were kept) get their current record as the version at its `since`, returned in
   * `backfill` for the caller to persist.
   */
  static async load(level: GovLevel, current: ReadonlyMap<string, AppRecord>, window = APP_HISTORY_WINDOW): Promise<{ history: AppHistory; backfill: AppVersion[] }> {
    const history = new AppHistory(level, Number.isFinite(window) ? Math.max(1, Math.floor(window)) : APP_HISTORY_WINDOW);
    for await (const [key, value] of level.iterator({ gte: PREFIX, lt: 'av0' })) {
      const slash = key.lastIndexOf('/');
      const height = Number(key.slice(slash + 1));
      if (slash <= PREFIX.length || key.length - slash - 1 !== HEIGHT_DIGITS || !Number.isSafeInteger(height)) throw new StateCorruptError(`bad app version key '${key}'`);
      const id = key.slice(PREFIX.length, slash);
      const line = history.lineOf(id);
      line.heights.push(height);
      // Keys come in height order per app: keep only the last `window` records while reading.
      line.recent.push(parseRecord(value, key));
      if (line.recent.length > history.window) line.recent.shift();
    }
    const backfill = [...current.values()].filter((a) => !history.lines.has(a.id)).map((a) => appVersion(a.since, a));
    history.record(backfill);
    return { history, backfill };
  }

  /** Takes in versions the store has written. */
  record(versions: readonly AppVersion[]): void {
    for (const v of versions) {
      const line = this.lineOf(v.id);
      const last = line.heights.length - 1;
      if (last >= 0 && line.heights[last] === v.height) {
        // initChain again at height 0 rewrites that height's version.
        line.recent[line.recent.length - 1] = v.record;
        continue;
      }
      if (last >= 0 && line.heights[last]! > v.height) throw new StateCorruptError(`app '${v.id}': version at ${v.height} after one at ${line.heights[last]}`);
      line.heights.push(v.height);
      line.recent.push(v.record);
      if (line.recent.length > this.window) line.recent.shift();
    }
  }

  /** The heights where app `id` changed, ascending ([] for an unknown app). */
  versions(id: string): number[] {
    return [...(this.lines.get(id)?.heights ?? [])];
  }

  /**
   * The record of app `id` as committed at `height` (the caller checks that `height` is
   * committed); undefined before its creation. Throws GovHistoryNotInMemoryError for a version
   * older than the window.
   */
  at(id: string, height: number): AppRecord | undefined {
    const found = this.find(id, height);
    if (found === undefined || 'record' in found) return found?.record;
    throw new GovHistoryNotInMemoryError(`app '${id}' at gov height ${height}: its version of height ${found.version} is not kept in memory; use appAtAsync`);
  }

  /** As `at`, reading a version older than the window back from LevelDB. */
  async atAsync(id: string, height: number): Promise<AppRecord | undefined> {
    const found = this.find(id, height);
    if (found === undefined || 'record' in found) return found?.record;
    const key = appVersionKey(id, found.version);
    const cached = this.readBack.get(key);
    if (cached) {
      // Least recently used first: move the hit to the end.
      this.readBack.delete(key);
      this.readBack.set(key, cached);
      return cached;
    }
    const bytes = await this.level.get(key);
    if (bytes === undefined) throw new StateCorruptError(`app version '${key}' is missing`);
    const record = parseRecord(bytes, key);
    this.readBack.set(key, record);
    if (this.readBack.size > READ_BACK_CACHE) this.readBack.delete(this.readBack.keys().next().value!);
    return record;
  }

  private find(id: string, height: number): { record: AppRecord } | { version: number } | undefined {
    const line = this.lines.get(id);
    if (!line) return undefined;
    const index = floorIndex(line.heights, height);
    if (index < 0) return undefined;
    const offset = index - (line.heights.length - line.recent.length);
    return offset >= 0 ? { record: line.recent[offset]! } : { version: line.heights[index]! };
  }

  private lineOf(id: string): AppLine {
    let line = this.lines.get(id);
    if (!line) this.lines.set(id, (line = { heights: [], recent: [] }));
    return line;
  }
}
