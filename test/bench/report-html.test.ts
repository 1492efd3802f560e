/*
 * The HTML report in a real browser: headless Chromium loads the file offline, and the test reads
 * back the DOM it built and the pixels it painted. A proxy that records every request stands
 * between Chromium and the network, so a report that fetched anything would be seen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { renderHtmlReport } from '../../src/bench/report-html.js';
import type { RoundResult } from '../../src/bench/result.js';
import { renderFile } from './browser.js';
import { HOSTILE, makeResult, makeRound } from './report-fixtures.js';
import { countColour, decodePng } from './report-png.js';

/** Chromium's own background traffic (update checks, time, accounts), not the page's. */
const CHROMIUM_OWN_HOSTS = /(^|\.)(google\.com|googleapis\.com|gstatic\.com|gvt1\.com|googleusercontent\.com)(:\d+)?$/;

/** A recording HTTP proxy: every request line Chromium sends through it, then closes the socket. */
async function startRecordingProxy(): Promise<{ port: number; hosts: string[]; close(): Promise<void> }> {
  const hosts: string[] = [];
  const server = net.createServer((socket) => {
    socket.once('data', (d) => {
      const [, target = ''] = d.toString('latin1').split('\r\n')[0]!.split(' ');
      hosts.push(target.startsWith('http') ? new URL(target).host : target);
      socket.destroy();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, hosts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Renders `file` in headless Chromium (test/bench/browser.ts) whose every request goes through the proxy. */
function chromium(dir: string, proxyPort: number, file: string, screenshot?: { path: string; width: number; height: number }): Promise<string> {
  const args = [
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    `--user-data-dir=${path.join(dir, 'profile')}`, `--proxy-server=http://127.0.0.1:${proxyPort}`, '--proxy-bypass-list=<-loopback>', '--hide-scrollbars',
  ];
  return renderFile(file, args, screenshot);
}

const REPORT_TAGS = new Set('html head meta title style body h1 h2 h3 p div table thead tbody tr th td section details summary pre svg g text line polyline circle rect'.split(' '));

/** Element and attribute names in a serialized DOM (Chromium escapes `<` in text and `"` in values). */
function markupOf(dom: string): { tags: Set<string>; attributes: Set<string> } {
  const tags = new Set<string>();
  const attributes = new Set<string>();
  for (const m of dom.matchAll(/<([a-zA-Z][\w:-]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    tags.add(m[1]!.toLowerCase());
    for (const a of m[2]!.matchAll(/\s([^\s=>]+)(?:="[^"]*")?/g)) attributes.add(a[1]!.toLowerCase());
  }
  return { tags, attributes };
}

function pageHosts(hosts: readonly string[]): string[] {
  return hosts.filter((h) => !CHROMIUM_OWN_HOSTS.test(h));
}

function sampleRounds(): RoundResult[] {
  const busy = makeRound({ label: `erc20 ${HOSTILE}`, seconds: 30, tps: 400, seed: 7, reason: `execution reverted: ${HOSTILE}` });
  const one = makeRound({ label: 'one second', seconds: 1, tps: 50, seed: 3 });
  const empty = { ...makeRound({ label: 'nothing measured', seconds: 0, tps: 10, seed: 5 }), histogram: { bucketsMs: [10, 100], counts: [0, 0] }, resources: [] };
  return [busy, one, empty];
}

test('the report renders in headless Chromium, offline, with its charts in the DOM and nothing hostile turned into elements', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-report-'));
  const proxy = await startRecordingProxy();
  try {
    const file = path.join(dir, 'report.html');
    writeFileSync(file, renderHtmlReport(makeResult(sampleRounds(), `erc20 ${HOSTILE}`)));
    const dom = await chromium(dir, proxy.port, file);

    assert.equal((dom.match(/<svg [^>]*class="chart /g) ?? []).length, 9, 'three charts per round');
    const sections = dom.split('<section class="round"').slice(1);
    assert.equal(sections.length, 3);
    const [busy, one, empty] = sections as [string, string, string];

    // Throughput (sent, succeeded, failed) and latency (p50, p99) lines, each a polyline of points.
    const polylines = [...busy.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) => m[1]!.trim().split(/\s+/));
    assert.ok(polylines.length >= 5, `polylines in round 1: ${polylines.length}`);
    assert.ok(polylines.every((pts) => pts.length >= 2 && pts.every((p) => /^\d+(\.\d+)?,\d+(\.\d+)?$/.test(p))));
    assert.ok(Math.max(...polylines.map((p) => p.length)) >= 20, 'a 30 s timeline draws a long line');
    const bars = [...busy.matchAll(/<rect class="bar"[^>]* height="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.equal(bars.length, 10, 'one bar per bucket');
    assert.ok(bars.filter((h) => h > 0).length >= 4, `histogram bars with height: ${bars.join(',')}`);
    assert.ok(bars[9]! >= 1, 'the single slowest transaction stays visible');
    assert.ok((busy.match(/<text class="tick"/g) ?? []).length > 20, 'axes carry tick labels');

    // A one-second timeline shows its points; an empty one still draws axes and says so.
    assert.ok((one.match(/<circle class="point"/g) ?? []).length >= 2);
    assert.equal((empty.match(/no data/g) ?? []).length, 3);

    // The hostile strings stayed text: only the report's own elements and attributes exist.
    const { tags, attributes } = markupOf(dom);
    assert.ok(tags.has('svg') && tags.has('polyline') && attributes.has('points'), 'the markup parser sees the charts');
    assert.deepEqual([...tags].filter((t) => !REPORT_TAGS.has(t)), []);
    assert.deepEqual([...attributes].filter((a) => /^on|^(src|href|xlink:href|srcset|action|formaction)$/.test(a)), []);
    assert.match(dom, /&lt;\/script&gt;&lt;img src=x onerror="alert\(1\)"&gt;/);
    // Nothing to fetch (no URL-bearing attribute above, no CSS URL), and nothing fetched.
    assert.doesNotMatch(dom, /url\(|@import/i);
    assert.deepEqual(pageHosts(proxy.hosts), []);
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Chromium paints the charts: series and bar colours are on the screenshot', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-report-'));
  const proxy = await startRecordingProxy();
  try {
    const file = path.join(dir, 'report.html');
    const busy = makeRound({ label: 'erc20', seconds: 30, tps: 400, seed: 11 });
    writeFileSync(file, renderHtmlReport(makeResult([busy])));
    const png = path.join(dir, 'shot.png');
    await chromium(dir, proxy.port, file, { path: png, width: 1000, height: 2600 });
    const img = decodePng(readFileSync(png));
    assert.equal(img.width, 1000);
    // Succeeded/s and the histogram bars (#4e79a7), p99 (#f28e2b), p50 (#59a14f): drawn, not just present.
    const blue = countColour(img, '#4e79a7');
    assert.ok(blue > 5_000, `blue pixels: ${blue}`);
    assert.ok(countColour(img, '#f28e2b') > 300, 'the p99 line is painted');
    assert.ok(countColour(img, '#59a14f') > 300, 'the p50 line is painted');
    assert.deepEqual(pageHosts(proxy.hosts), []);
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the recording proxy does see a page that fetches (control for the offline checks)', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-report-'));
  const proxy = await startRecordingProxy();
  try {
    const file = path.join(dir, 'fetches.html');
    writeFileSync(file, '<!DOCTYPE html><p>x</p><img src="http://bsn-report-test.invalid/x.png">');
    await chromium(dir, proxy.port, file);
    assert.ok(pageHosts(proxy.hosts).some((h) => h.startsWith('bsn-report-test.invalid')), `seen: ${proxy.hosts.join(', ')}`);
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Every `<` the report writes is markup of its own: strings from a result add none. */
function countLt(html: string): number {
  return html.split('<').length - 1;
}

test('any string in a result is escaped, and any timeline renders without NaN', () => {
  const timeline = fc.array(
    fc.record({ sent: fc.nat(100_000), succeeded: fc.nat(100_000), failed: fc.nat(1000), p50Ms: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })), p99Ms: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })) }),
    { maxLength: 40 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string(), timeline, (s, reason, points) => {
      const withText = (text: string, why: string) => {
        const base = makeRound({ label: text, seconds: 5, tps: 100, seed: 1, reason: why, workload: text });
        const round: RoundResult = { ...base, timeline: points.map((p, t) => ({ t, ...p })) };
        const r = makeResult([round], text);
        return renderHtmlReport({ ...r, target: { ...r.target, url: text, client: text }, benchFile: { path: text, spec: { text } } });
      };
      const benign = withText('x', 'y');
      assert.equal(countLt(withText(s, reason)), countLt(benign));
      assert.doesNotMatch(benign, /NaN|Infinity/);
    }),
    { numRuns: 150 },
  );
});
