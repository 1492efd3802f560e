// Enforces the layer order of the design brief (shared/design/architecture.md, "Layers"):
// a module under src/<layer>/ may import only from its own layer folder or from a layer of a
// lower rank. Files directly under src/ (errors.ts) are rank 0 and importable by everyone.
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

export default { rules: { 'layer-order': layerOrder } };
