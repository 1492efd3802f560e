// Enforces the layer order of the design brief (shared/design/architecture.md, "Layers"):
// a module under src/<layer>/ may import only from its own layer folder or from a layer of a
// lower rank. Files directly under src/ (errors.ts) are rank 0 and importable by everyone.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Ranks follow the brief; folders sharing a brief level are ordered so that no two import each other. */
export const LAYER_RANK = {
  codec: 1.0,
  crypto: 1.1,
  pki: 2,
  consensus: 3,
  chain: 4,
  execution: 5,
  p2p: 6,
  node: 7,
  network: 8.0,
  gateway: 8.1,
  sdk: 8.2,
  bench: 8.25,
  web: 8.3,
  cli: 8.4,
};

function layerOf(file) {
  const rel = path.relative(path.resolve('src'), file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  if (parts.length === 1) return { name: '(root)', rank: 0 };
  const name = parts[0];
  return { name, rank: LAYER_RANK[name] ?? Number.POSITIVE_INFINITY };
}

const layerOrder = {
  meta: {
    type: 'problem',
    docs: { description: 'enforce the layer import order of the design brief' },
    schema: [],
    messages: {
      upward: "layer '{{from}}' must not import from layer '{{to}}' (it comes later in the layer order)",
      unknown: "folder 'src/{{name}}' is not a layer of the design brief; add it to tools/eslint-plugin-layers.js",
    },
  },
  create(context) {
    const filename = context.filename ?? context.getFilename();
    const from = layerOf(filename);
    if (!from) return {};
    function check(node, source) {
      if (!source || typeof source.value !== 'string') return;
      const spec = source.value;
      if (!spec.startsWith('.')) return;
      const target = layerOf(path.resolve(path.dirname(filename), spec));
      if (!target) return;
      if (target.rank === Number.POSITIVE_INFINITY) {
        context.report({ node, messageId: 'unknown', data: { name: target.name } });
        return;
      }
      if (target.name !== from.name && target.rank > from.rank) {
        context.report({ node, messageId: 'upward', data: { from: from.name, to: target.name } });
      }
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
    };
  },
};

// Matches the module specifier of static imports and re-exports, and of dynamic import().
const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
const TYPE_ONLY_RE = /^\s*(?:import|export)\s+type\s/;

/** Relative, value-level imports of a TypeScript file, resolved to .ts paths (`./x.js` → `./x.ts`). */
function importsOf(file, cache) {
  if (cache.has(file)) return cache.get(file);
  const result = [];
  cache.set(file, result);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return result;
  }
  for (const match of text.matchAll(IMPORT_RE)) {
    const spec = match[1] ?? match[2];
    if (!spec || !spec.startsWith('.')) continue;
    const statement = text.slice(match.index, match.index + match[0].length);
    // Type-only imports vanish at run time and cannot form a load-order cycle.
    if (TYPE_ONLY_RE.test(statement)) continue;
    const resolved = resolveTs(path.resolve(path.dirname(file), spec));
    if (resolved) result.push(resolved);
  }
  return result;
}

function resolveTs(target) {
  const candidates = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, path.join(target, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c));
}

/** A path of imports from `start` back to `start`, or undefined. */
function findCycle(start, cache) {
  const stack = [start];
  const onPath = new Set([start]);
  const done = new Set();
  const iters = [importsOf(start, cache)[Symbol.iterator]()];
  while (iters.length) {
    const next = iters[iters.length - 1].next();
    if (next.done) {
      iters.pop();
      const finished = stack.pop();
      done.add(finished);
      onPath.delete(finished);
      continue;
    }
    const dep = next.value;
    if (dep === start) return [...stack, start];
    if (onPath.has(dep) || done.has(dep)) continue;
    stack.push(dep);
    onPath.add(dep);
    iters.push(importsOf(dep, cache)[Symbol.iterator]());
  }
  return undefined;
}

const noCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'forbid import cycles between modules of src/' },
    schema: [],
    messages: { cycle: 'import cycle: {{path}}' },
  },
  create(context) {
    const filename = context.filename ?? context.getFilename();
    if (!layerOf(filename) || !filename.endsWith('.ts')) return {};
    return {
      'Program:exit'(node) {
        const cycle = findCycle(filename, new Map());
        if (cycle) {
          const shown = cycle.map((f) => path.relative(process.cwd(), f)).join(' -> ');
          context.report({ node, messageId: 'cycle', data: { path: shown } });
        }
      },
    };
  },
};

export default { rules: { 'layer-order': layerOrder, 'no-cycle': noCycle } };
