import type { WsTrafficLimits } from './limits.js';

/*
 * Bounds on every WebSocket of the gateway (H4(b), M12, L8(5)): a cap on sockets in all and per
 * IP, a bound on what may be queued for a client that does not read, pings and an idle timeout,
 * and, for sockets opened with a certificate, a periodic check that its user still exists and its
 * certificate still validates. A socket over a bound is closed; nothing waits for it.
 */

/** The part of a `ws` WebSocket used here (the package ships no types in this project). */
export interface GuardedSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'message', listener: (data: Buffer | string) => void): void;
  on(event: 'close' | 'pong', listener: () => void): void;
}

const OPEN = 1;
/** Close codes: 1008 policy violation (a bound), 1013 try again later (a cap), 4401 no longer authorized. */
export const CLOSE_POLICY = 1008;
export const CLOSE_TRY_LATER = 1013;
export const CLOSE_UNAUTHORIZED = 4401;

export class SocketGuard {
  private closed = false;
  private lastSeen: number;
  private answeredPing = true;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly socket: GuardedSocket,
    private readonly limits: WsTrafficLimits,
    stillAuthorized: (() => boolean) | undefined,
    private readonly clock: () => number,
  ) {
    this.lastSeen = clock();
    const seen = () => {
      this.lastSeen = this.clock();
      this.answeredPing = true;
    };
    socket.on('message', seen);
    socket.on('pong', seen);
    socket.on('close', () => this.stop());
    this.every(limits.pingIntervalMs, () => {
      if (!this.answeredPing) return this.end(CLOSE_POLICY, 'no pong', true);
      if (this.clock() - this.lastSeen > limits.idleTimeoutMs) return this.end(CLOSE_POLICY, 'idle');
      this.answeredPing = false;
      socket.ping();
    });
    if (stillAuthorized) this.every(limits.recheckIntervalMs, () => {
      if (!stillAuthorized()) this.end(CLOSE_UNAUTHORIZED, 'the user or certificate is no longer valid');
    });
  }

  /** Sends, or closes the socket when the client lets more than `maxBufferedBytes` pile up. */
  send(data: string): void {
    if (this.closed || this.socket.readyState !== OPEN) return;
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) return this.end(CLOSE_POLICY, 'the client does not read', true);
    this.socket.send(data);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the socket with `code`; `hard` drops it at once (a client that does not read would never finish a close handshake). */
  end(code: number, reason: string, hard = false): void {
    if (this.closed) return;
    this.stop();
    if (hard) this.socket.terminate();
    else this.socket.close(code, reason);
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private stop(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }
}

/** The sockets of one gateway: admission against the caps, and closing them all at shutdown. */
export class SocketGuards {
  private readonly open = new Set<SocketGuard>();
  private readonly perIp = new Map<string, number>();

  constructor(
    readonly limits: WsTrafficLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** A guard for a socket just upgraded, or undefined after closing it (1013) when a cap is reached. */
  admit(socket: GuardedSocket, ip: string, stillAuthorized?: () => boolean): SocketGuard | undefined {
    const fromIp = this.perIp.get(ip) ?? 0;
    if (this.open.size >= this.limits.maxSockets || fromIp >= this.limits.maxSocketsPerIp) {
      socket.close(CLOSE_TRY_LATER, this.open.size >= this.limits.maxSockets ? 'too many sockets' : 'too many sockets from this address');
      return undefined;
    }
    const guard = new SocketGuard(socket, this.limits, stillAuthorized, this.clock);
    this.open.add(guard);
    this.perIp.set(ip, fromIp + 1);
    socket.on('close', () => {
      if (!this.open.delete(guard)) return;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n > 0) this.perIp.set(ip, n);
      else this.perIp.delete(ip);
    });
    return guard;
  }

  closeAll(): void {
    for (const g of this.open) g.end(1001, 'the gateway is closing');
  }
}
