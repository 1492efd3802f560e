// Shared helpers of the p2p tests. Named *.test.ts so that the build leaves it out (it imports
// test/support); as a test file of its own it has no tests.
import { parseCertificatePem } from '../pki/index.js';
import { makeTestPki, type TestPki } from '../../test/support/network-pki.js';
import { seededRandom } from './backoff.js';
import type { P2pLogger } from './observe.js';
import { PeerManager, type PeerManagerOptions } from './peer-manager.js';
import { Router } from './router.js';
import { Transport } from './transport.js';

export interface TestContext {
  after(fn: () => unknown): void;
}

export interface LogEntry {
  readonly level: 'info' | 'warn';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

export class LogRecorder implements P2pLogger {
  readonly entries: LogEntry[] = [];
  info(obj: object, msg: string): void {
    this.entries.push({ level: 'info', obj: obj as Record<string, unknown>, msg });
  }
  warn(obj: object, msg: string): void {
    this.entries.push({ level: 'warn', obj: obj as Record<string, unknown>, msg });
  }
  has(msg: string, fields: Record<string, unknown> = {}): boolean {
    return this.entries.some((e) => e.msg === msg && Object.entries(fields).every(([k, v]) => e.obj[k] === v));
  }
}

export interface Identity {
  readonly name: string;
  readonly certChainPem: string;
  readonly keyPem: string;
  readonly fingerprint: string;
}

export interface TestNet {
  readonly pki: TestPki;
  readonly crlPems: string[];
  readonly networkId: string;
  readonly ids: Identity[];
}

export async function testNet(t: TestContext, names: string[], options: { maxFrameBytes?: number } = {}): Promise<TestNet & { maxFrameBytes?: number }> {
  const pki = await makeTestPki();
  t.after(() => pki.cleanup());
  const ids = await Promise.all(
    names.map(async (name) => {
      const issued = await pki.issue(name);
      return { name, certChainPem: issued.certChainPem, keyPem: issued.keyPem, fingerprint: parseCertificatePem(issued.certPem).fingerprint };
    }),
  );
  return { pki, crlPems: await pki.crls(), networkId: parseCertificatePem(pki.rootPem).fingerprint, ids, ...options };
}

export interface TestNode {
  readonly id: Identity;
  readonly manager: PeerManager;
  readonly router: Router;
  readonly port: number;
  readonly logs: LogRecorder;
}

/** A listening peer manager with a router; small backoff so that tests reconnect fast. */
export async function startNode(
  t: TestContext,
  net: TestNet & { maxFrameBytes?: number },
  id: Identity,
  options: { port?: number; networkId?: string; seed?: number } & Partial<Omit<PeerManagerOptions, 'transport'>> = {},
): Promise<TestNode> {
  const { port: wantedPort, networkId, seed, ...managerOptions } = options;
  const logs = new LogRecorder();
  const manager = new PeerManager({
    transport: { certChainPem: id.certChainPem, keyPem: id.keyPem, rootPem: net.pki.rootPem, crlPems: net.crlPems, maxFrameBytes: net.maxFrameBytes },
    backoff: { baseMs: 20, capMs: 200 },
    stableAfterMs: 100,
    random: seededRandom(seed ?? 1),
    logger: logs,
    ...managerOptions,
  });
  const router = new Router(manager, { networkId: networkId ?? net.networkId, logger: logs, helloTimeoutMs: 5_000 });
  const { port } = await manager.listen(wantedPort ?? 0);
  t.after(async () => {
    router.close();
    await manager.close();
  });
  return { id, manager, router, port, logs };
}

/** A client-only transport for hand-made traffic (hello, garbage, raw requests). */
export function rawTransport(t: TestContext, net: TestNet & { maxFrameBytes?: number }, id: Identity): Transport {
  const transport = new Transport({ certChainPem: id.certChainPem, keyPem: id.keyPem, rootPem: net.pki.rootPem, crlPems: net.crlPems, maxFrameBytes: net.maxFrameBytes });
  t.after(() => transport.close());
  return transport;
}

/** Polls `predicate` every 10 ms; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
