/**
 * `npm run bench:flood`: a four-node `bsn up` network under kv load, first without and then with
 * a 60-second flood of consensus messages from one Byzantine certified peer, in the same run.
 * The peer ("mallory") holds a node certificate of op1, and node4's validator key — so node4 is
 * the Byzantine validator, within f = 1, and nodes 1–3 are the honest ones measured. Against each
 * honest node it streams, as fast as the connection takes them:
 *   - unsigned proposals with a round near 2^53 (C1),
 *   - forged proposals: a random value under another value's id, for the round's real proposer (C2),
 *   - node4-signed prevotes and precommits over ever higher rounds (M9),
 *   - junk next-height votes with bad signatures (M8),
 * and reconnects whenever it is dropped or banned. Reported per honest node: heap before and after
 * each phase and its peak (bsn_process_heap_used_bytes), and the kv commit rate of each phase.
 * A third phase sends only node4-signed votes for rounds inside the window (0..899, over and
 * over): nothing in it is refused, so nothing gets the peer banned, and what it costs is bounded
 * by the window (at most 3 votes per validator, round and type are kept).
 *
 *   npm run bench:flood [-- --seconds 60]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { issueLeaf } from '../../src/pki/index.js';
import { readPrivateKeyPem } from '../../src/pki/index.js';
import { signVote, validatorAddress, valueIdOf, type ConsensusMessage } from '../../src/consensus/index.js';
import { encodeConsensusMessage } from '../../src/node/consensus-wire.js';
import { encodeFrame } from '../../src/p2p/frame.js';
import { CHANNEL, PROTOCOL_VERSION, encodeControl, encodeEnvelope } from '../../src/p2p/messages.js';
import { CHAIN, Devnet, LoadGenerator, metricValue, sleep, suite, type NodeProcess } from '../../test/e2e/harness.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 60;

interface Identity {
  readonly certChainPem: string;
  readonly keyPem: string;
}

async function mallory(layoutDir: string, name = 'mallory'): Promise<Identity> {
  const pki = path.join(layoutDir, 'pki');
  const secret = { passphrase: readFileSync(path.join(pki, 'passphrase.txt'), 'utf8').trim() };
  const out = path.join(layoutDir, name);
  await issueLeaf({ caDir: path.join(pki, 'op1'), out, kind: 'node', name, sans: ['127.0.0.1'], secret });
  return { certChainPem: readFileSync(path.join(out, 'cert.pem'), 'utf8') + readFileSync(path.join(pki, 'op1', 'ca.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
}

/** One flooding connection to `node`, redialled whenever it closes, until `stop`. */
class Flooder {
  sent = 0;
  connections = 0;
  private stopped = false;
  private round = 0;

  constructor(
    private readonly node: NodeProcess,
    private readonly identity: Identity,
    private readonly networkId: string,
    private readonly validatorKey: ReturnType<typeof readPrivateKeyPem>,
    private readonly height: () => number,
    /** 'mixed': everything above; 'votes': only node4-signed votes within the round window (nothing to ban for). */
    private readonly mode: 'mixed' | 'votes' = 'mixed',
  ) {}

  async run(): Promise<void> {
    while (!this.stopped) {
      const socket = connect({ host: '127.0.0.1', port: this.node.info.p2pPort, cert: this.identity.certChainPem, key: this.identity.keyPem, rejectUnauthorized: false });
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()).once('close', () => resolve()));
      if (!socket.destroyed) {
        this.connections++;
        socket.write(encodeFrame({ channel: CHANNEL.control, payload: encodeControl({ type: 'hello', version: PROTOCOL_VERSION, networkId: this.networkId, chains: [{ chainId: CHAIN, height: this.height() }] }) }));
        await this.stream(socket, closed);
      }
      await sleep(200);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private async stream(socket: TLSSocket, closed: Promise<void>): Promise<void> {
    let open = true;
    void closed.then(() => (open = false));
    while (open && !this.stopped) {
      const batch: Buffer[] = [];
      for (let i = 0; i < 50; i++) for (const m of this.messages()) batch.push(encodeFrame({ channel: CHANNEL.consensus, payload: encodeEnvelope(CHAIN, encodeConsensusMessage(m)) }));
      this.sent += batch.length;
      // Backpressure from our side only: what the node does with its own buffers is under test.
      if (!socket.write(Buffer.concat(batch))) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
      await new Promise((r) => setImmediate(r));
    }
    socket.destroy();
  }

  private messages(): ConsensusMessage[] {
    const height = this.height() + 1;
    const me = validatorAddress(suite, this.validatorKey.publicKey);
    const value = crypto.getRandomValues(new Uint8Array(256));
    const other = crypto.getRandomValues(new Uint8Array(256));
    const round = this.round++;
    const junk = new Uint8Array(64);
    if (this.mode === 'votes') {
      const r = round % 900;
      return [signVote(suite, this.validatorKey, me, { type: 'prevote', height, round: r, valueId: null }, CHAIN), signVote(suite, this.validatorKey, me, { type: 'precommit', height, round: r, valueId: null }, CHAIN)];
    }
    return [
      { kind: 'proposal', height, round: Number.MAX_SAFE_INTEGER, validRound: -1, value, valueId: valueIdOf(suite, value), proposer: me, signature: junk },
      { kind: 'proposal', height, round: 0, validRound: -1, value, valueId: valueIdOf(suite, other), proposer: me, signature: junk },
      signVote(suite, this.validatorKey, me, { type: 'prevote', height, round, valueId: null }, CHAIN),
      signVote(suite, this.validatorKey, me, { type: 'precommit', height, round, valueId: null }, CHAIN),
      { kind: 'vote', type: 'prevote', height: height + 1, round: round % 1000, valueId: null, validator: me, signature: junk },
    ];
  }
}

interface Phase {
  readonly name: string;
  readonly commitsPerS: number;
  readonly heapStartMb: number[];
  readonly heapEndMb: number[];
  readonly heapPeakMb: number[];
}

const heapMb = async (n: NodeProcess) => metricValue(await n.metrics(), 'bsn_process_heap_used_bytes') / 2 ** 20;

async function phase(name: string, net: Devnet, load: LoadGenerator, honest: NodeProcess[], ms: number): Promise<Phase> {
  const heapStartMb = await Promise.all(honest.map(heapMb));
  const peak = [...heapStartMb];
  const acked = load.acked.length;
  const started = Date.now();
  while (Date.now() - started < ms) {
    await sleep(1000);
    const now = await Promise.all(honest.map((n) => heapMb(n).catch(() => 0)));
    now.forEach((h, i) => (peak[i] = Math.max(peak[i]!, h)));
  }
  const commitsPerS = ((load.acked.length - acked) * 1000) / (Date.now() - started);
  return { name, commitsPerS, heapStartMb, heapEndMb: await Promise.all(honest.map(heapMb)), heapPeakMb: peak };
}

async function main(): Promise<void> {
  let identity: Identity | undefined;
  const net = await Devnet.create({ slot: 11, label: 'flood', beforeStart: async (layout) => void (identity = await mallory(layout.dir)) });
  const [n1, n2, n3, n4] = net.four;
  const honest = [n1, n2, n3];
  const load = new LoadGenerator(net, { senders: 16, txsPerSender: 100_000, seed: 7 });
  try {
    const networkId = (await import('../../src/pki/index.js')).parseCertificatePem(readFileSync(path.join(net.pki, 'root', 'ca.pem'), 'utf8')).fingerprint;
    const config = net.layout.nodes[3]!.config;
    const nodeKey = readPrivateKeyPem(readFileSync(path.resolve(path.dirname(config), JSON.parse(readFileSync(config, 'utf8')).tls.key), 'utf8'));
    load.start();
    await sleep(5000); // warm-up
    const quiet = await phase('no flood', net, load, honest, seconds * 1000);
    let height = (await n1.height()) ?? 0;
    const heightTimer = setInterval(() => void n1.height().then((h) => (height = h ?? height)), 500);
    const flooders = honest.map((n) => new Flooder(n, identity!, networkId, nodeKey, () => height));
    const running = flooders.map((f) => f.run());
    const flooded = await phase('flood', net, load, honest, seconds * 1000);
    for (const f of flooders) f.stop();
    await Promise.all(running);
    // Mallory was banned in the mixed phase; a fresh identity for the votes-only phase.
    const fresh = await mallory(net.layout.dir, 'mallory2');
    const voters = honest.map((n) => new Flooder(n, fresh, networkId, nodeKey, () => height, 'votes'));
    const voting = voters.map((f) => f.run());
    const votes = await phase('votes', net, load, honest, seconds * 1000);
    for (const f of voters) f.stop();
    await Promise.all(voting);
    clearInterval(heightTimer);
    const bans = await Promise.all(honest.map(async (n) => metricValue(await n.metrics(), 'bsn_p2p_bans')));
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
    console.log(`flood bench: ${seconds} s per phase, kv load 16 closed-loop senders, nodes 1-3 honest (node4's key is the Byzantine peer's)`);
    for (const p of [quiet, flooded, votes]) {
      console.log(`  ${p.name.padEnd(9)} kv commits ${p.commitsPerS.toFixed(1)} tx/s; heap MB start ${fmt(p.heapStartMb)}, end ${fmt(p.heapEndMb)}, peak ${fmt(p.heapPeakMb)}`);
    }
    const growth = (p: Phase) => p.heapEndMb.map((e, i) => e - p.heapStartMb[i]!);
    console.log(`  mixed flood: messages sent ${flooders.reduce((a, f) => a + f.sent, 0)}, connections ${flooders.map((f) => f.connections).join(' / ')}; votes-only: messages sent ${voters.reduce((a, f) => a + f.sent, 0)}, connections ${voters.map((f) => f.connections).join(' / ')}; bans by nodes 1-3 ${bans.join(' / ')}`);
    console.log(`  ratios: commit rate under the mixed flood / without ${(flooded.commitsPerS / quiet.commitsPerS).toFixed(2)}, under votes-only / without ${(votes.commitsPerS / quiet.commitsPerS).toFixed(2)}`);
    console.log(`  heap growth MB (end - start) without ${fmt(growth(quiet))}, mixed ${fmt(growth(flooded))}, votes-only ${fmt(growth(votes))}`);
    void n4;
  } finally {
    await load.stop();
    await net.cleanup();
  }
}

await main();
