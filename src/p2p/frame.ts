import { FrameEncodeError, FrameTooLargeError } from './errors.js';

/**
 * Wire frames between city nodes: length (u32 BE, counting channel byte and payload) | channel
 * (u8) | payload. The channel multiplexes consensus, gossip and sync of many app chains over one
 * TLS connection. The length is checked before any byte of the payload is buffered, so a peer
 * cannot make us allocate more than `maxFrameBytes`.
 */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

export interface Frame {
  readonly channel: number;
  readonly payload: Uint8Array;
}

export function encodeFrame(frame: Frame, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  const length = frame.payload.length + 1;
  if (!Number.isInteger(frame.channel) || frame.channel < 0 || frame.channel > 255) {
    throw new FrameEncodeError(`channel must be 0..255, got ${frame.channel}`);
  }
  if (length > maxFrameBytes) throw new FrameEncodeError(`frame of ${length} bytes is over the limit of ${maxFrameBytes}`);
  const out = Buffer.allocUnsafe(5 + frame.payload.length);
  out.writeUInt32BE(length, 0);
  out.writeUInt8(frame.channel, 4);
  out.set(frame.payload, 5);
  return out;
}

/** Turns a byte stream into frames; feed it chunks as they arrive. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Returns every frame completed by `chunk`; throws FrameTooLargeError on an oversized or empty frame. */
  push(chunk: Uint8Array): Frame[] {
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const length = this.peekLength();
      if (length === 0 || length > this.maxFrameBytes) {
        throw new FrameTooLargeError(`peer declared a frame of ${length} bytes (limit ${this.maxFrameBytes}, minimum 1)`);
      }
      if (this.buffered < 4 + length) break;
      const body = this.take(4 + length).subarray(4);
      frames.push({ channel: body[0]!, payload: new Uint8Array(body.subarray(1)) });
    }
    return frames;
  }

  /** Bytes received but not yet part of a whole frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private peekLength(): number {
    const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : Buffer.concat(this.chunks, 4);
    return head.readUInt32BE(0);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
