// Two of four city nodes SIGKILLed under load: with 2 of 4 votes no quorum exists, so the chain
// must halt — no new height for several seconds, and the two survivors never disagree. Restarted,
// the four resume committing, and all four hold identical blocks at every height.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Devnet, LoadGenerator, assertAckedPresent, sleep } from './harness.js';

let net: Devnet;
let load: LoadGenerator | undefined;

before(async () => {
  net = await Devnet.create({ slot: 1, label: 'kill-two' });
});
after(async () => {
  await load?.stop();
  await net?.cleanup();
});

const HALT_WATCH_MS = 6000;

test('two nodes of four killed: the chain halts without forking; restarted, it resumes', { timeout: 60_000 }, () =>
  net.guard(async () => {
    const [n1, n2, n3, n4] = net.four;
    load = new LoadGenerator(net, { senders: 32, txsPerSender: 400, seed: 2 });
    load.start();
    await load.waitAcks(50, 15_000);

    // One node of each operator dies at once.
    await Promise.all([n2.kill('SIGKILL'), n3.kill('SIGKILL')]);
    // Votes already on the wire may still finish the height in progress: let that settle, then watch.
    await sleep(1500);
    const [h1, h4] = [await n1.height(), await n4.height()];
    assert.ok(h1 !== undefined && h4 !== undefined, 'the survivors answer /status');
    const halted = Math.max(h1, h4);
    const acksAtHalt = load.acked.length;
    const watchStart = Date.now();
    const seen: number[] = [];
    while (Date.now() - watchStart < HALT_WATCH_MS) {
      const hs = [await n1.height(), await n4.height()];
      for (const h of hs) if (h !== undefined) seen.push(h);
      assert.ok(hs.every((h) => h === undefined || h <= halted), `a height past ${halted} was committed with two of four validators down: ${JSON.stringify(hs)}`);
      await sleep(250);
    }
    assert.ok(seen.length > 0, 'the survivors answered during the halt');
    const ackedDuringHalt = load.acked.slice(acksAtHalt).filter((a) => a.height > halted);
    assert.deepEqual(ackedDuringHalt, [], 'no tx is acknowledged at a height past the halt');
    // The survivors agree on everything they have (the lower one's prefix).
    const common = Math.min(h1, h4);
    await net.assertIdenticalBlocks([n1, n4], common);

    // Restart both: commits resume.
    n2.start();
    n3.start();
    const restartedAt = Date.now();
    await net.waitHeight(net.nodes, halted + 3, 20_000, 'commits to resume on all four after the restart');
    const resumeMs = Date.now() - restartedAt;
    await load.waitAcks(20, 10_000);

    await load.stop();
    const height = await net.waitSettled(net.nodes, 20_000);
    const blocks = await net.assertIdenticalBlocks(net.nodes, height);
    await assertAckedPresent(load.acked, blocks, net.nodes);
    assert.deepEqual(net.nodes.flatMap((n) => n.unexpectedExits), []);
    process.stdout.write(
      `# kill-two: halted at height ${halted} for ${HALT_WATCH_MS} ms watched (+1.5 s settle); resumed ${resumeMs} ms after the restart (3 heights on all four); ` +
        `final height ${height}, identical on 4 nodes; ${load.acked.length} txs acknowledged (${JSON.stringify(load.stats)})\n`,
    );
  }),
);
