// One of four city nodes SIGKILLed under load: the other three keep committing; restarted, it
// block-syncs to their height and rejoins consensus — shown by killing a different node next,
// after which the chain can only commit with the restarted node's votes (3 of 4).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Devnet, LoadGenerator, assertAckedPresent, waitFor } from './harness.js';

let net: Devnet;
let load: LoadGenerator | undefined;

before(async () => {
  net = await Devnet.create({ slot: 0, label: 'kill-one' });
});
after(async () => {
  await load?.stop();
  await net?.cleanup();
});

test('one node of four killed under load: the chain goes on; restarted, it syncs and votes again', { timeout: 60_000 }, () =>
  net.guard(async () => {
    const [n1, n2, n3, n4] = net.four;
    load = new LoadGenerator(net, { senders: 32, txsPerSender: 400, seed: 1 });
    load.start();
    await load.waitAcks(50, 15_000);

    // Kill node3: the chain must keep committing — at least 5 heights within 10 s.
    await n3.kill('SIGKILL');
    const atKill = await net.maxHeight([n1, n2, n4]);
    const killedAt = Date.now();
    await net.waitHeight([n1, n2, n4], atKill + 5, 10_000, 'the three survivors to commit 5 heights after node3 was killed');
    const ackedWhileDown = load.acked.length;
    await load.waitAcks(20, 10_000);
    const downMs = Date.now() - killedAt;

    // Restart it: it block-syncs to where the others are (they keep moving under load).
    n3.start();
    const target = await net.maxHeight([n1, n2, n4]);
    const restartedAt = Date.now();
    await net.waitHeight([n3], target, 15_000, `node3 to block-sync to height ${target}`);
    const syncMs = Date.now() - restartedAt;
    await net.waitConnected(net.nodes, 10_000);
    // It follows the head, not only the height it saw at start.
    await waitFor(
      async () => {
        const [mine, others] = [await n3.height(), await net.maxHeight([n1, n2, n4])];
        return mine !== undefined && mine >= others - 1 && mine > target;
      },
      { timeoutMs: 10_000, message: () => 'node3 to keep up with the head after syncing' },
    );

    // Now kill node1: only n2, n3, n4 remain, so a commit needs node3's prevote and precommit.
    await n1.kill('SIGKILL');
    const before1 = await net.maxHeight([n2, n3, n4]);
    await net.waitHeight([n2, n3, n4], before1 + 5, 15_000, 'the chain to commit 5 heights with node3 as one of the three voters');
    const acksAfter = load.acked.length;
    await load.waitAcks(20, 10_000);

    // Everyone back; stop the load; all four agree at every height; nothing acknowledged is lost.
    n1.start();
    await load.stop();
    await net.waitConnected(net.nodes, 15_000);
    const height = await net.waitSettled(net.nodes, 20_000);
    const blocks = await net.assertIdenticalBlocks(net.nodes, height);
    await assertAckedPresent(load.acked, blocks, net.nodes);
    assert.deepEqual(net.nodes.flatMap((n) => n.unexpectedExits), []);
    assert.ok(load.acked.length > acksAfter && acksAfter > ackedWhileDown);
    process.stdout.write(
      `# kill-one: height ${height}, ${load.acked.length} txs acknowledged (${JSON.stringify(load.stats)}); ` +
        `5+ heights and 20 acks in ${downMs} ms with node3 down; node3 synced ${target} heights in ${syncMs} ms\n`,
    );
  }),
);
