import { decode, encode, expectArray, expectUint } from '../../codec/index.js';
import { QueryError } from '../errors.js';
import { appView } from './app-view.js';
import type { GovState } from './state.js';
import type { GovStore } from './store.js';
import type { GovRegistry } from './types.js';

/*
 * The query paths of types.ts over the committed state; every answer is UTF-8 JSON. Besides
 * those, 'result' (data = encode([height, index])) answers encode([ok, code, executed]) of a
 * committed tx, exactly as kv's does, so the gateway's tx lookup reads both alike.
 */

const utf8 = new TextEncoder();
const text = new TextDecoder();
const out = (value: unknown): Uint8Array | undefined => (value === undefined ? undefined : utf8.encode(JSON.stringify(value)));

const LISTS = ['operators', 'nodes', 'orgs', 'rules', 'revocations', 'plans', 'apps'] as const;
type ListPath = (typeof LISTS)[number];

/** `registry` is the committed GovRegistry of `state` (the app caches it per commit). */
export async function queryGov(state: GovState, registry: GovRegistry, path: string, data: Uint8Array, store: GovStore): Promise<Uint8Array | undefined> {
  if (path === 'registry') return out(registry);
  if ((LISTS as readonly string[]).includes(path)) return out(registry[path as ListPath]);
  if (path === 'proposals') {
    const all = [...state.maps.proposal.values()];
    // Newest first; within one height by id, so every node answers alike.
    return out(all.sort((a, b) => b.height - a.height || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  }
  if (path === 'proposal') {
    const id = text.decode(data);
    if (!/^[0-9a-f]{2,128}$/.test(id)) throw new QueryError('proposal: data is the lowercase hex id');
    return out(state.maps.proposal.get(id));
  }
  if (path === 'nonce') {
    const fp = text.decode(data);
    if (!/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(fp)) throw new QueryError('nonce: data is a certificate fingerprint (upper-case colon hex)');
    return out(state.nonceOf(fp));
  }
  if (path === 'app') {
    const id = text.decode(data);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw new QueryError('app: data is the UTF-8 app id');
    return out(appView(state.maps.app.get(id), id, state.maps.proposal.values()));
  }
  if (path === 'validators') return out(state.validators());
  if (path === 'result') return resultOf(state, data, store);
  throw new QueryError(`unknown gov query path '${path}' (known: registry, ${LISTS.join(', ')}, proposals, proposal, app, nonce, validators, result)`);
}

async function resultOf(state: GovState, data: Uint8Array, store: GovStore): Promise<Uint8Array | undefined> {
  let height: number;
  let index: number;
  try {
    const [h, i] = expectArray(decode(data), '$');
    height = expectUint(h ?? null, '$[0]');
    index = expectUint(i ?? null, '$[1]');
  } catch (cause) {
    throw new QueryError('result: data is encode([height, index])', { cause });
  }
  if (height < 1 || height > state.height) return undefined;
  const code = (await store.failures(height)).get(index);
  // A failed gov tx changes nothing: executed is ok.
  return encode(code === undefined ? [true, 'OK', true] : [false, code, false]);
}
