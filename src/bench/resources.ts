/*
 * CPU and memory of the target's processes when they run on this machine, read from Linux's
 * /proc. Elsewhere (or for processes we may not read) it finds nothing and samples nothing: the
 * figures are an extra, never a reason for a bench to fail.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { ProcessUsage } from './result.js';

const TCP_LISTEN = '0A';

/** Socket inodes of listening TCP sockets on `port`, from /proc/net/tcp and tcp6. */
export function listeningInodes(port: number, procRoot = '/proc'): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(path.join(procRoot, 'net', file), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
      const portHex = f[1]!.slice(f[1]!.lastIndexOf(':') + 1);
      if (parseInt(portHex, 16) === port && f[9] !== '0') inodes.add(f[9]!);
    }
  }
  return inodes;
}

/**
 * Pids of the processes that hold a listening TCP socket on `port` (any address). Empty when
 * nothing listens there, when the owner's /proc/PID/fd is not ours to read, or off Linux.
 */
export function findListeningPids(port: number): number[] {
  if (process.platform !== 'linux') return [];
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return [];
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  const pids: number[] = [];
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fdDir = `/proc/${entry}/fd`;
    if (safeReaddir(fdDir).some((fd) => wanted.has(safeReadlink(`${fdDir}/${fd}`)))) pids.push(Number(entry));
  }
  return pids.sort((a, b) => a - b);
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeReadlink(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '';
  }
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of utime/stime in /proc/PID/stat: 100 on every common Linux, asked once. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process (all its threads), in clock ticks; undefined once it is gone. */
export function readCpuTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/** Resident set size in bytes (VmRSS); undefined once the process is gone. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const NAME_MAX = 120;

/** `comm` (e.g. `node`), followed by the command line with the program path cut to its base name. */
export function processName(pid: number): string {
  let comm = '';
  let args: string[] = [];
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    /* gone, or not Linux */
  }
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    /* gone, or not Linux */
  }
  if (args.length === 0) return comm || `pid ${pid}`;
  const line = [path.basename(args[0]!), ...args.slice(1)].join(' ');
  return line.length > NAME_MAX ? `${line.slice(0, NAME_MAX - 1)}…` : line;
}

interface Track {
  readonly pid: number;
  name: string;
  firstTicks?: number;
  firstAt?: number;
  lastTicks?: number;
  lastAt?: number;
  cpuMax: number;
  rss: number[];
  gone: boolean;
}

/**
 * Samples CPU and RSS of a fixed set of processes. CPU is percent of one core: the process's
 * utime + stime over wall time, so a process using two cores fully reads 200. The average is
 * over the whole sampled span (first to last sample), the maximum over single intervals.
 */
export class ResourceSampler {
  private readonly tracks: Track[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    pids: readonly number[],
    private readonly intervalMs = 1_000,
  ) {
    this.tracks = [...new Set(pids)].map((pid) => ({ pid, name: processName(pid), cpuMax: 0, rss: [], gone: false }));
  }

  start(): void {
    if (this.timer) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Takes a last sample, stops, and returns each process's figures (exited ones too). */
  stop(): ProcessUsage[] {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.sample();
    }
    const hz = ticksPerSecond();
    return this.tracks.map((t) => {
      const spanSec = t.lastAt !== undefined && t.firstAt !== undefined ? (t.lastAt - t.firstAt) / 1000 : 0;
      const cpuAvg = spanSec > 0 ? (100 * (t.lastTicks! - t.firstTicks!)) / hz / spanSec : 0;
      const rssAvg = t.rss.length ? t.rss.reduce((a, b) => a + b, 0) / t.rss.length : 0;
      return {
        pid: t.pid,
        name: t.name,
        cpuPercentAvg: round1(cpuAvg),
        cpuPercentMax: round1(Math.max(t.cpuMax, cpuAvg)),
        rssBytesAvg: Math.round(rssAvg),
        rssBytesMax: t.rss.length ? Math.max(...t.rss) : 0,
      };
    });
  }

  private sample(): void {
    const hz = ticksPerSecond();
    for (const t of this.tracks) {
      if (t.gone) continue;
      const now = performance.now();
      const ticks = readCpuTicks(t.pid);
      const rss = readRssBytes(t.pid);
      if (ticks === undefined || rss === undefined) {
        t.gone = true;
        continue;
      }
      if (t.firstTicks === undefined) {
        t.firstTicks = ticks;
        t.firstAt = now;
      } else if (now - t.lastAt! >= this.intervalMs / 2) {
        // A shorter interval (the last sample at stop) is too coarse for a maximum: ticks are 10 ms.
        const pct = (100 * (ticks - t.lastTicks!)) / hz / ((now - t.lastAt!) / 1000);
        t.cpuMax = Math.max(t.cpuMax, pct);
      }
      t.lastTicks = ticks;
      t.lastAt = now;
      t.rss.push(rss);
    }
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
