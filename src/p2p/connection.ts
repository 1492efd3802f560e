import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import { OutgoingBufferOverflowError } from './errors.js';
import { encodeFrame, FrameDecoder, type Frame } from './frame.js';
import type { PeerIdentity } from './identity.js';

export interface ConnectionEvents {
  frame: [Frame];
  /** `reason` is undefined for an orderly close, else why we or the peer dropped it. */
  close: [reason: Error | undefined];
}

/** Bytes queued for a peer beyond which it is dropped, when the transport names no other limit. */
export const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024;

/**
 * One authenticated connection to another city node. Frames in, frames out; a peer that sends
 * a malformed frame is disconnected at once — nothing it sent after that is delivered. A peer
 * that does not read what it is sent is disconnected once `maxQueuedBytes` wait for it (H4): the
 * socket's buffer is the only place unread frames pile up.
 */
export class PeerConnection extends EventEmitter<ConnectionEvents> {
  private readonly decoder: FrameDecoder;
  private closed = false;
  /** Why we dropped the peer, kept for the close event and for scoring. */
  private dropReason: Error | undefined;

  constructor(
    readonly peer: PeerIdentity,
    readonly outbound: boolean,
    private readonly socket: TLSSocket,
    private readonly maxFrameBytes: number,
    private readonly maxQueuedBytes: number = DEFAULT_MAX_QUEUED_BYTES,
  ) {
    super();
    this.decoder = new FrameDecoder(maxFrameBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.drop(err));
    socket.on('close', () => this.finish());
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Bytes written but not yet taken by the kernel: what the peer has not read (plus what is in flight). */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  /** The most bytes that may wait for this peer; PeerManager sheds droppable gossip at half of it. */
  get queueLimit(): number {
    return this.maxQueuedBytes;
  }

  /**
   * Queues a frame; false when the connection is closed, or when this frame would put more than
   * `maxQueuedBytes` in wait for the peer: then the connection is dropped with an
   * OutgoingBufferOverflowError instead of growing without bound.
   */
  send(channel: number, payload: Uint8Array): boolean {
    if (this.closed) return false;
    const frame = encodeFrame({ channel, payload }, this.maxFrameBytes);
    if (this.socket.writableLength + frame.length > this.maxQueuedBytes) {
      this.drop(new OutgoingBufferOverflowError(`${this.socket.writableLength} bytes already wait for ${this.peer.name}; a frame of ${frame.length} would pass the limit of ${this.maxQueuedBytes}`));
      return false;
    }
    this.socket.write(frame);
    return true;
  }

  /**
   * The DER of the certificates the peer presented above its own (its operator CA), for
   * re-checking it against CRLs loaded after the handshake; the self-signed root is left out.
   */
  issuerChainDer(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const leaf = this.socket.getPeerCertificate(true);
    const seen = new Set<string>([leaf.fingerprint256]);
    for (let next = leaf.issuerCertificate; next && !seen.has(next.fingerprint256); next = next.issuerCertificate) {
      seen.add(next.fingerprint256);
      // Node links the self-signed root to itself: it is the trust anchor, passed in separately.
      if (next.issuerCertificate?.fingerprint256 === next.fingerprint256) break;
      if (next.raw) out.push(new Uint8Array(next.raw));
    }
    return out;
  }

  /** Drops the connection; `reason` says why (bad data, shutdown, …). */
  drop(reason?: Error): void {
    if (this.closed) return;
    this.dropReason ??= reason;
    this.socket.destroy();
    this.finish();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.drop(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.emit('frame', frame);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', this.dropReason);
  }
}
