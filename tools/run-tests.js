// Runs the test suite with Node's built-in runner. Node 20 has no glob support for --test, so
// this finds *.test.ts files itself. Usage: node tools/run-tests.js [dir-or-file ...]
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['src', 'test'];
const files = [];
for (const root of roots) {
  let stat;
  try {
    stat = statSync(root);
  } catch {
    console.error(`run-tests: no such file or directory: ${root}`);
    process.exit(2);
  }
  if (stat.isFile()) files.push(root);
  else
    for (const entry of readdirSync(root, { recursive: true })) {
      const file = path.join(root, String(entry));
      if (file.endsWith('.test.ts') && !file.includes('node_modules')) files.push(file);
    }
}
files.sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const reporter = process.env.CI ? ['--test-reporter=spec'] : ['--test-reporter=spec'];
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporter, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
