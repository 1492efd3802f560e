/*
 * The sampler and the port lookup against real processes: one child burns a core, another
 * listens on a loopback port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawnOwned, stopOwned } from '../support/processes.js';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { findListeningPids, processName, ResourceSampler } from '../../src/bench/resources.js';

function child(code: string): ChildProcess {
  return spawnOwned(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  await stopOwned(c);
}

test('ResourceSampler: a process burning CPU reads above 50 % of a core, an idle one near 0, with RSS and names', { skip: process.platform !== 'linux' && 'needs /proc', timeout: 30_000 }, async () => {
  const burner = child('const b = Buffer.alloc(64 * 2 ** 20, 1); process.stdout.write("go\\n"); for (;;) { b[0]++; }');
  const idle = child('process.stdout.write("go\\n"); setInterval(() => {}, 1000);');
  try {
    await Promise.all([once(burner.stdout!, 'data'), once(idle.stdout!, 'data')]);
    const sampler = new ResourceSampler([burner.pid!, idle.pid!, burner.pid!], 200);
    sampler.start();
    await sleep(2_000);
    const [hot, cold] = sampler.stop();
    assert.ok(hot && cold);
    assert.equal(hot.pid, burner.pid);
    assert.ok(hot.cpuPercentAvg > 50, `burner CPU ${hot.cpuPercentAvg} %`);
    assert.ok(hot.cpuPercentAvg <= 110, `one thread cannot use much more than one core: ${hot.cpuPercentAvg} %`);
    assert.ok(hot.cpuPercentMax >= hot.cpuPercentAvg);
    assert.ok(hot.rssBytesMax > 64 * 2 ** 20, `burner RSS ${hot.rssBytesMax}`);
    assert.ok(hot.rssBytesAvg > 0 && hot.rssBytesAvg <= hot.rssBytesMax);
    assert.ok(cold.cpuPercentAvg < 20, `idle CPU ${cold.cpuPercentAvg} %`);
    assert.ok(cold.rssBytesAvg < hot.rssBytesAvg);
    assert.match(hot.name, /^node -e /);
  } finally {
    await Promise.all([stopChild(burner), stopChild(idle)]);
  }
});

test('ResourceSampler: a process that exits keeps what was sampled; an unknown pid reads zero', { skip: process.platform !== 'linux' && 'needs /proc', timeout: 30_000 }, async () => {
  const burner = child('process.stdout.write("go\\n"); const end = Date.now() + 800; while (Date.now() < end) {}');
  await once(burner.stdout!, 'data');
  const sampler = new ResourceSampler([burner.pid!, 2 ** 22 + 12_345], 100);
  sampler.start();
  await once(burner, 'exit');
  await sleep(400);
  const [gone, never] = sampler.stop();
  assert.ok(gone!.cpuPercentAvg > 30, `CPU while it ran: ${gone!.cpuPercentAvg} %`);
  assert.ok(gone!.rssBytesMax > 0);
  assert.deepEqual({ ...never!, name: '' }, { pid: 2 ** 22 + 12_345, name: '', cpuPercentAvg: 0, cpuPercentMax: 0, rssBytesAvg: 0, rssBytesMax: 0 });
  assert.equal(never!.name, `pid ${2 ** 22 + 12_345}`);
});

test('findListeningPids finds the process listening on a loopback port, and nothing on a free one', { skip: process.platform !== 'linux' && 'needs /proc', timeout: 30_000 }, async () => {
  const server = child('const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => process.stdout.write(s.address().port + "\\n"));');
  try {
    const [data] = (await once(server.stdout!, 'data')) as [Buffer];
    const port = Number(data.toString().trim());
    assert.ok(port > 0);
    assert.deepEqual(findListeningPids(port), [server.pid]);
    assert.match(processName(server.pid!), /^node -e /);
    await stopChild(server);
    assert.deepEqual(findListeningPids(port), []);
  } finally {
    await stopChild(server);
  }
});

test('findListeningPids sees IPv6 listeners too', { skip: process.platform !== 'linux' && 'needs /proc', timeout: 30_000 }, async () => {
  const server = child('const s = require("node:net").createServer(); s.on("error", () => process.stdout.write("none\\n")); s.listen(0, "::1", () => process.stdout.write(s.address().port + "\\n"));');
  try {
    const [data] = (await once(server.stdout!, 'data')) as [Buffer];
    const text = data.toString().trim();
    if (text === 'none') return; // no IPv6 loopback on this machine: nothing to check
    assert.deepEqual(findListeningPids(Number(text)), [server.pid]);
  } finally {
    await stopChild(server);
  }
});
