import type { Suite } from '../crypto/index.js';

// RFC 6962 §2.1 tree hashing with the chain's suite hash: leaves and inner nodes carry different
// prefixes so that no leaf can pose as an inner node (second-preimage resistance).
const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Merkle tree hash (RFC 6962) of `leaves`; the root of no leaves is the hash of the empty string. */
export function merkleRoot(suite: Suite, leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return suite.hash(new Uint8Array(0));
  let level = leaves.map((leaf) => suite.hash(concat(LEAF, leaf)));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    // RFC 6962 splits at the largest power of two below n; pairing left to right and promoting an
    // odd last node gives the same root for every n.
    for (let i = 0; i + 1 < level.length; i += 2) next.push(suite.hash(concat(NODE, level[i]!, level[i + 1]!)));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}
