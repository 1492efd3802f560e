import { PemError } from './errors.js';

/** RFC 7468 PEM: a label and base64 body; we write 64-column lines like OpenSSL. */

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

export function encodePem(label: string, der: Uint8Array): string {
  const body = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/** Every PEM block in `text`, in order. Text outside blocks (OpenSSL's "subject=" lines) is ignored. */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, label = '', body = '', endLabel] = match;
    if (label !== endLabel) throw new PemError(`PEM block 'BEGIN ${label}' ends with 'END ${endLabel}'`);
    const compact = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw new PemError(`PEM block '${label}' has a malformed base64 body`);
    }
    const der = new Uint8Array(Buffer.from(compact, 'base64'));
    if (der.length === 0) throw new PemError(`PEM block '${label}' is empty`);
    blocks.push({ label, der });
  }
  if (blocks.length === 0) throw new PemError('no PEM block found');
  return blocks;
}

/** The DER of every block of `text`; all must carry one of `labels`. */
export function decodePemAll(text: string, labels: readonly string[]): Uint8Array[] {
  return decodePemBlocks(text).map((block) => {
    if (!labels.includes(block.label)) {
      throw new PemError(`expected PEM '${labels.join("' or '")}', found '${block.label}'`);
    }
    return block.der;
  });
}

/** The DER of the single block of `text`, which must carry one of `labels`. */
export function decodePem(text: string, labels: readonly string[]): PemBlock {
  const blocks = decodePemBlocks(text);
  if (blocks.length !== 1) throw new PemError(`expected one PEM block, found ${blocks.length}`);
  const [block] = blocks as [PemBlock];
  if (!labels.includes(block.label)) throw new PemError(`expected PEM '${labels.join("' or '")}', found '${block.label}'`);
  return block;
}
