/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function and per module,
 * optionally only for samples inside a time window. Sample timestamps are CLOCK_MONOTONIC µs, the
 * clock of process.hrtime, so a window measured in the bench process applies to the node's profile.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  /** Share of the non-idle samples. */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Sampled time in the window, ms, idle included, and the busy (non-idle) part. */
  readonly sampledMs: number;
  readonly busyMs: number;
  readonly windowed: boolean;
  readonly topFunctions: ProfileEntry[];
  readonly topModules: ProfileEntry[];
  /** Project functions (dist/ or src/) by inclusive time: the sample's stack contains them. */
  readonly topInclusive: ProfileEntry[];
  /** For each of the top functions, its most frequent callers in project code (nearest first). */
  readonly callers: Record<string, { via: string; pct: number }[]>;
}

/** Short, stable names: paths relative to the repository, node_modules by package. */
function moduleOf(url: string, root: string): string {
  if (!url) return '(native / V8)';
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 14).split('/');
    return `npm:${parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (file.startsWith('node:')) return file;
  return path.relative(root, file);
}

export function summarizeProfile(file: string, root: string, window?: { startUs: number; endUs: number }, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const isProject = (url: string) => /\/(dist|src)\//.test(url) && !url.includes('/node_modules/');
  const label = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    return functionName.startsWith('(') ? functionName : `${functionName || '(anonymous)'}  ${moduleOf(url, root)}:${lineNumber + 1}`;
  };
  const inclusive = new Map<string, number>();
  const callerCounts = new Map<string, Map<string, number>>();
  const fnSelf = new Map<string, number>();
  const modSelf = new Map<string, number>();
  let t = p.startTime;
  let sampled = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (window && (t < window.startUs || t >= window.endUs)) continue;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    sampled += dt;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)') {
      idle += dt;
      continue;
    }
    const mod = functionName.startsWith('(') ? functionName : moduleOf(url, root);
    const name = label(node);
    fnSelf.set(name, (fnSelf.get(name) ?? 0) + dt);
    modSelf.set(mod, (modSelf.get(mod) ?? 0) + dt);
    // Walk up the stack: inclusive time of project functions, and the nearest project callers.
    const seen = new Set<string>();
    const via: string[] = [];
    for (let id = parent.get(node.id); id !== undefined; id = parent.get(id)) {
      const up = byId.get(id)!;
      if (!isProject(up.callFrame.url)) continue;
      const l = label(up);
      if (!seen.has(l)) {
        seen.add(l);
        inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
      }
      if (via.length < 3 && via.at(-1) !== up.callFrame.functionName) via.push(up.callFrame.functionName || '(anonymous)');
    }
    if (isProject(url) && !seen.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
    const chain = via.join(' ← ') || '(no project caller)';
    let counts = callerCounts.get(name);
    if (!counts) callerCounts.set(name, (counts = new Map()));
    counts.set(chain, (counts.get(chain) ?? 0) + dt);
  }
  const busy = sampled - idle;
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, pct: busy > 0 ? (100 * us) / busy : 0 }));
  const topFunctions = rank(fnSelf);
  const callers: Record<string, { via: string; pct: number }[]> = {};
  for (const e of topFunctions) {
    const counts = callerCounts.get(e.name)!;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    callers[e.name] = [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([via, us]) => ({ via, pct: total > 0 ? (100 * us) / total : 0 }));
  }
  return {
    file,
    sampledMs: sampled / 1000,
    busyMs: busy / 1000,
    windowed: window !== undefined,
    topFunctions,
    topModules: rank(modSelf),
    topInclusive: rank(inclusive),
    callers,
  };
}

/** The profile's time span in µs (to check it overlaps the window). */
export function profileSpan(file: string): { startUs: number; endUs: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  return { startUs: p.startTime, endUs: p.endTime };
}
