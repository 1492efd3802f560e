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
// The CLI and end-to-end tests run `bsn` from dist/ when it is newer than src/ (a third of tsx's
// start-up per process, and they start hundreds): build it once here when it is stale. A failed
// build (work in progress) is reported; those tests then run the sources under tsx.
const newest = (dir) => Math.max(0, ...readdirSync(dir, { recursive: true }).map((e) => path.join(dir, String(e))).filter((f) => !f.endsWith('.test.ts')).map((f) => statSync(f)).filter((st) => st.isFile()).map((st) => st.mtimeMs));
let built = 0;
try {
  built = statSync('dist/cli/main.js').mtimeMs;
} catch {
  // not built yet
}
if (built <= newest('src')) {
  console.log('run-tests: dist/ is older than src/: npm run build');
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) console.log('run-tests: the build failed; CLI tests run the sources under tsx');
}
const reporter = ['--test-reporter=spec'];
// The end-to-end tests start four node processes each; two of them side by side on a 2-core
// machine doubled their run time (toward the 60 s a test may take), so they run one at a time,
// after the rest has run two files at a time.
const isSerial = (file) => file.split(path.sep).includes('e2e');
const groups = [
  { files: files.filter((f) => !isSerial(f)), concurrency: 2 },
  { files: files.filter(isSerial), concurrency: 1 },
].filter((g) => g.files.length > 0);
let status = 0;
for (const group of groups) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${group.concurrency}`, ...reporter, ...group.files], { stdio: 'inherit' });
  if (result.status !== 0) status = result.status ?? 1;
}
if (groups.length > 1) console.log(`run-tests: ${files.length} files in ${groups.length} groups (end-to-end files one at a time); exit ${status}`);
process.exit(status);
