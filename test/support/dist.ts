import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI (`npm run build`; `npm install` builds it too). */
export const DIST_MAIN = path.join(REPO, 'dist', 'cli', 'main.js');

function newestMtime(dir: string, skip: (file: string) => boolean): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true })) {
    const file = path.join(dir, String(entry));
    if (skip(file)) continue;
    const stat = statSync(file);
    if (stat.isFile()) newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

/**
 * Whether dist/ is newer than every source file, so that running it runs the code under test.
 * A process started from dist/ is up in a third of the time tsx needs to load the sources.
 */
export function distIsFresh(): boolean {
  if (!existsSync(DIST_MAIN)) return false;
  return statSync(DIST_MAIN).mtimeMs > newestMtime(path.join(REPO, 'src'), (f) => f.endsWith('.test.ts'));
}
