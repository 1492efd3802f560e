import type { ClassicLevel } from 'classic-level';
import { decode, encode, expectArray, expectString, expectUint } from '../../codec/index.js';
import { StateCorruptError } from '../errors.js';
import { corruptIfCodec, decodeStoreMeta, encodeStoreMeta, META_KEY, type StoreMeta } from '../store-meta.js';
import { AppHistory, appVersionKey, changedApps, type AppVersion } from './app-history.js';
import { emptyMaps, GOV_KINDS, GovState, type GovGlobals, type GovKind } from './state.js';

type Db = ClassicLevel<string, Uint8Array>;

function govLevel(db: Db, chainId: string) {
  return db.sublevel<string, Uint8Array>(`gov:${chainId}`, { keyEncoding: 'utf8', valueEncoding: 'view' });
}
export type GovLevel = ReturnType<typeof govLevel>;

/*
 * Layout of the gov state in its sublevel `gov:<chainId>`:
 *   meta            encode([1, height, stateRoot])       absent before initChain
 *   time            encode([height, block time])         of the last committed block (for checkTx)
 *   global          UTF-8 JSON of the globals (root, authority, minValidators)
 *   r/<kind>/<id>   UTF-8 JSON of one record (kind: operator, node, org, revocation, plan, rule,
 *                   app, proposal, nonce)
 *   f/<height>      encode([[index, code], ...])         the txs of that block that failed
 *   av/<app>/<h>    every version of every app record (app-history.ts), never deleted
 * The whole state is read into memory at open; a commit writes the records that changed.
 */
const recordKey = (kind: GovKind, id: string) => `r/${kind}/${id}`;
const failuresKey = (height: number) => `f/${height}`;
const TIME_KEY = 'time';
const GLOBAL_KEY = 'global';
const utf8 = new TextEncoder();
const text = new TextDecoder('utf-8', { fatal: true });

export interface Loaded {
  readonly meta: StoreMeta;
  readonly state: GovState;
  readonly time: number;
}

export class GovStore {
  private appHistory: AppHistory | undefined;

  private constructor(
    private readonly db: Db,
    private readonly level: GovLevel,
    private readonly historyWindow: number | undefined,
  ) {}

  /** `historyWindow`: versions of each app whose records stay in memory (APP_HISTORY_WINDOW). */
  static open(db: Db, chainId: string, historyWindow?: number): GovStore {
    return new GovStore(db, govLevel(db, chainId), historyWindow);
  }

  /** The app versions; loaded by `load`, empty before initChain. */
  get history(): AppHistory {
    if (!this.appHistory) throw new StateCorruptError('gov store: history read before load');
    return this.appHistory;
  }

  /** The committed state, or undefined before initChain. */
  async load(): Promise<Loaded | undefined> {
    const metaBytes = await this.level.get(META_KEY);
    if (metaBytes === undefined) {
      this.appHistory = (await AppHistory.load(this.level, new Map(), this.historyWindow)).history;
      return undefined;
    }
    const meta = decodeStoreMeta(metaBytes, 'gov');
    const globals = json<GovGlobals>(await this.level.get(GLOBAL_KEY), 'gov globals');
    const maps = emptyMaps();
    for await (const [key, value] of this.level.iterator({ gte: 'r/', lt: 'r0' })) {
      const slash = key.indexOf('/', 2);
      const kind = key.slice(2, slash) as GovKind;
      if (slash < 0 || !GOV_KINDS.includes(kind)) throw new StateCorruptError(`unknown gov record key '${key}'`);
      (maps[kind] as Map<string, unknown>).set(key.slice(slash + 1), json(value, key));
    }
    const timeBytes = await this.level.get(TIME_KEY);
    const time = timeBytes === undefined ? 0 : corruptIfCodec('gov time', () => expectUint(expectArray(decode(timeBytes), 'time', 2)[1], 'time[1]'));
    const { history, backfill } = await AppHistory.load(this.level, maps.app, this.historyWindow);
    if (backfill.length > 0) await this.db.batch(backfill.map((v) => ({ type: 'put' as const, sublevel: this.level, key: appVersionKey(v.id, v.height), value: v.bytes })), { sync: true });
    this.appHistory = history;
    return { meta, state: new GovState(globals, maps, meta.height), time };
  }

  /** Persists `next` (the state after `height`) as a diff against `prev`, in one synced batch. */
  async commit(height: number, stateRoot: Uint8Array, time: number, next: GovState, prev: GovState | undefined, failed: readonly [number, string][] = []): Promise<void> {
    type Op = { type: 'put'; sublevel: GovLevel; key: string; value: Uint8Array } | { type: 'del'; sublevel: GovLevel; key: string };
    const put = (key: string, value: Uint8Array): Op => ({ type: 'put', sublevel: this.level, key, value });
    const ops: Op[] = [];
    if (prev === undefined || prev.globals !== next.globals) ops.push(put(GLOBAL_KEY, utf8.encode(JSON.stringify(next.globals))));
    for (const kind of GOV_KINDS) {
      const before = (prev?.maps[kind] ?? new Map()) as Map<string, unknown>;
      const after = next.maps[kind] as Map<string, unknown>;
      for (const [id, v] of after) if (before.get(id) !== v) ops.push(put(recordKey(kind, id), utf8.encode(JSON.stringify(v))));
      for (const id of before.keys()) if (!after.has(id)) ops.push({ type: 'del', sublevel: this.level, key: recordKey(kind, id) });
    }
    // The app versions go in the same batch: a crash leaves both the commit and its versions, or neither.
    const versions: AppVersion[] = changedApps(height, prev?.maps.app, next.maps.app);
    for (const v of versions) ops.push(put(appVersionKey(v.id, v.height), v.bytes));
    if (failed.length > 0) ops.push(put(failuresKey(height), encode(failed.map(([i, c]) => [i, c]))));
    ops.push(put(TIME_KEY, encode([height, time])));
    ops.push(put(META_KEY, encodeStoreMeta({ height, stateRoot })));
    await this.db.batch(ops, { sync: true });
    this.history.record(versions);
  }

  /** The failed txs of committed block `height`, by index. */
  async failures(height: number): Promise<Map<number, string>> {
    const bytes = await this.level.get(failuresKey(height));
    if (bytes === undefined) return new Map();
    return corruptIfCodec('gov failures', () =>
      new Map(
        expectArray(decode(bytes), 'failures').map((entry, i) => {
          const [index, code] = expectArray(entry, `failures[${i}]`, 2);
          return [expectUint(index, `failures[${i}][0]`), expectString(code, `failures[${i}][1]`)] as const;
        }),
      ),
    );
  }
}

function json<T>(bytes: Uint8Array | undefined, what: string): T {
  if (bytes === undefined) throw new StateCorruptError(`${what} is missing`);
  try {
    return JSON.parse(text.decode(bytes)) as T;
  } catch (cause) {
    throw new StateCorruptError(`${what}: not JSON`, { cause });
  }
}
