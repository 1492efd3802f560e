import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import layers from '../../tools/eslint-plugin-layers.js';

// Lints a throwaway tree laid out like src/, so the rules see real files on disk.
async function lintTree(files: Record<string, string>): Promise<string[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'bsn-lint-'));
  const cwd = process.cwd();
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      writeFileSync(path.join(root, name), text);
    }
    process.chdir(root);
    const eslint = new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser },
          plugins: { layers },
          rules: { 'layers/layer-order': 'error', 'layers/no-cycle': 'error' },
        },
      ],
    });
    const results = await eslint.lintFiles(Object.keys(files));
    return results.flatMap((r) => r.messages.map((m) => `${path.relative(root, r.filePath)}: ${m.ruleId}: ${m.message}`));
  } finally {
    process.chdir(cwd);
    rmSync(root, { recursive: true, force: true });
  }
}

test('a lower layer importing a higher one is reported; the other direction is allowed', async () => {
  const messages = await lintTree({
    'src/codec/value.ts': "import { issuer } from '../pki/issuer.js';\nexport const v = issuer;\n",
    'src/pki/issuer.ts': "export const issuer = 1;\n",
    'src/consensus/vote.ts': "import { issuer } from '../pki/issuer.js';\nexport const vote = issuer;\n",
  });
  assert.deepEqual(messages, [
    "src/codec/value.ts: layers/layer-order: layer 'codec' must not import from layer 'pki' (it comes later in the layer order)",
  ]);
});

test('an import cycle is reported on every file in it; type-only imports do not count', async () => {
  const messages = await lintTree({
    'src/chain/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
    'src/chain/b.ts': "import { c } from './c.js';\nexport const b = c;\n",
    'src/chain/c.ts': "import { a } from './a.js';\nexport const c = 1;\nexport const d = a;\n",
    'src/chain/t1.ts': "import type { T2 } from './t2.js';\nexport type T1 = T2 | 1;\n",
    'src/chain/t2.ts': "import type { T1 } from './t1.js';\nexport type T2 = T1 | 2;\n",
  });
  assert.equal(messages.length, 3);
  for (const m of messages) assert.match(m, /layers\/no-cycle: import cycle: /);
});

test('a folder under src/ that is not a layer is reported', async () => {
  const messages = await lintTree({
    'src/chain/x.ts': "import { y } from '../misc/y.js';\nexport const x = y;\n",
    'src/misc/y.ts': 'export const y = 1;\n',
  });
  assert.deepEqual(messages, [
    "src/chain/x.ts: layers/layer-order: folder 'src/misc' is not a layer of the design brief; add it to tools/eslint-plugin-layers.js",
  ]);
});
