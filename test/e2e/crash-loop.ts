/**
 * The crash loop shared by crash-loop-1/-2.test.ts: one node SIGKILLed `kills` times in a row
 * under load, each time at a seeded random moment — during start-up and recovery, right after it
 * logs a commit, right after the network acknowledges a tx — and restarted at once. Afterwards
 * every node must hold identical blocks at every height and every acknowledged tx must be in them.
 * (Split over two files of 25 so that each stays under the 60 s budget of a test file; each file
 * is its own network, so each victim is killed 25 times in a row.)
 */
import assert from 'node:assert/strict';
import { Prng } from '../sim/prng.js';
import { Devnet, LoadGenerator, assertAckedPresent, sleep, type NodeProcess } from './harness.js';

export interface CrashLoopOptions {
  readonly label: string;
  readonly seed: number;
  readonly victim: number;
  readonly kills: number;
}

type Moment = 'startup' | 'after-commit' | 'peer-commit' | 'after-ack' | 'after-hosting';

export interface CrashLoopReport {
  readonly kills: number;
  readonly moments: Record<string, number>;
  /** Kills whose trigger (a commit, an ack) did not come within its deadline, so the kill came at the deadline. */
  readonly fallbacks: number;
  readonly height: number;
  readonly acked: number;
  readonly walRestores: number;
  readonly replayedBlocks: number;
  readonly tornWalTails: number;
  readonly ms: number;
  readonly seed: number;
  /** Time spent waiting for each kind of moment, in total. */
  readonly cycleMs: Record<string, number>;
}

/** Picks the moment of the next kill and waits for it (bounded); returns what it waited for. */
async function waitForMoment(victim: NodeProcess, peer: NodeProcess, load: LoadGenerator, moment: Moment, random: Prng): Promise<boolean> {
  const deadline = 4000;
  try {
    switch (moment) {
      case 'startup':
        await sleep(random.int(800));
        return true;
      case 'after-commit':
        await victim.nextLine((l) => l.msg === 'committed', deadline, 'committed');
        await sleep(random.int(150));
        return true;
      case 'peer-commit':
        // Another node just committed a height: the victim is most likely committing it right now.
        await peer.nextLine((l) => l.msg === 'committed', deadline, 'committed');
        await sleep(random.int(10));
        return true;
      case 'after-ack':
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            load.ackEvents.off('ack', onAck);
            reject(new Error('no ack'));
          }, deadline);
          const onAck = () => {
            clearTimeout(timer);
            load.ackEvents.off('ack', onAck);
            resolve();
          };
          load.ackEvents.on('ack', onAck);
        });
        await sleep(random.int(40));
        return true;
      case 'after-hosting':
        await victim.nextLine((l) => l.msg === 'hosting chain' || l.msg === 'block sync caught up', deadline, 'hosting chain');
        await sleep(random.int(100));
        return true;
    }
  } catch {
    return false;
  }
}

export async function crashLoop(net: Devnet, options: CrashLoopOptions): Promise<CrashLoopReport> {
  const random = new Prng(options.seed);
  const victim = net.nodes[options.victim]!;
  const others = net.nodes.filter((n) => n !== victim);
  const started = Date.now();
  const load = new LoadGenerator(net, { senders: 16, txsPerSender: 2000, seed: options.seed, label: options.label });
  const moments: Record<string, number> = {};
  let fallbacks = 0;
  const cycleMs: Record<string, number> = {};
  load.start();
  try {
    await load.waitAcks(20, 15_000);
    for (let k = 0; k < options.kills; k++) {
      const moment = random.pick<Moment>(['startup', 'after-commit', 'after-commit', 'peer-commit', 'peer-commit', 'peer-commit', 'after-ack', 'after-hosting']);
      moments[moment] = (moments[moment] ?? 0) + 1;
      const cycleStart = Date.now();
      // The first kill hits a node that has run from genesis; later ones a node just restarted.
      if (!(await waitForMoment(victim, others[k % others.length]!, load, moment, random))) fallbacks++;
      await victim.kill('SIGKILL');
      assert.deepEqual(victim.unexpectedExits, [], `${victim.name} died by itself during the crash loop (kill ${k + 1})`);
      cycleMs[moment] = (cycleMs[moment] ?? 0) + (Date.now() - cycleStart);
      await sleep(random.int(100));
      victim.start();
    }
    // The others kept the chain going throughout.
    const during = load.acked.length;
    assert.ok(during > 30, `the chain committed during the crash loop (${during} acks)`);
  } finally {
    await load.stop();
  }
  // Let the victim come back for good and catch up; then everything must agree.
  await net.waitConnected(net.nodes, 20_000);
  const height = await net.waitSettled(net.nodes, 25_000);
  const blocks = await net.assertIdenticalBlocks(net.nodes, height);
  await assertAckedPresent(load.acked, blocks, net.nodes);
  assert.deepEqual(net.nodes.flatMap((n) => n.unexpectedExits), []);
  assert.ok(others.every((n) => n.starts === 1), 'only the victim was restarted');
  const lines = victim.logLines();
  const count = (msg: string) => lines.filter((l) => l.msg === msg).length;
  return {
    kills: victim.kills,
    moments,
    fallbacks,
    height,
    acked: load.acked.length,
    walRestores: count('restoring consensus from the WAL'),
    replayedBlocks: count('replayed a stored block into the application'),
    tornWalTails: count('cut a torn tail off the consensus WAL'),
    ms: Date.now() - started,
    seed: options.seed,
    cycleMs,
  };
}
