import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import { encodeFrame, FrameDecoder, type Frame } from './frame.js';
import type { PeerIdentity } from './identity.js';

export interface ConnectionEvents {
  frame: [Frame];
  /** `reason` is undefined for an orderly close, else why we or the peer dropped it. */
  close: [reason: Error | undefined];
}

/**
 * One authenticated connection to another city node. Frames in, frames out; a peer that sends
 * a malformed frame is disconnected at once — nothing it sent after that is delivered.
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

  /** Queues a frame; returns false when the socket buffer is full (the caller may back off). */
  send(channel: number, payload: Uint8Array): boolean {
    if (this.closed) return false;
    return this.socket.write(encodeFrame({ channel, payload }, this.maxFrameBytes));
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
