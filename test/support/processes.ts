/**
 * Child processes that tests and benches start, and stop whatever happens: each is spawned
 * detached (the leader of its own process group) and its whole group is SIGKILLed when the
 * harness stops it, and at the latest when this process exits or is interrupted, so no node,
 * Hardhat or helper outlives the run that started it (nor the temp dir it works in).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const owned = new Set<ChildProcess>();
let hooked = false;

/** Signals `child`'s process group; the child alone if the group is already gone. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** SIGKILLs every group spawnOwned started that has not exited yet. */
export function killAllOwned(): void {
  for (const child of owned) killGroup(child, 'SIGKILL');
}

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllOwned);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllOwned();
      process.exit(130);
    });
  }
}

/** `spawn`, in a process group of its own, killed with this process at the latest. */
export function spawnOwned(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  installHooks();
  const child = spawn(command, args, { ...options, detached: true });
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  return child;
}

/** Sends `signal` to the group, SIGKILL after `graceMs`, and waits for the child to exit. */
export async function stopOwned(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL', graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  killGroup(child, signal);
  const killer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}
