import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { parseCrlPem, type ParsedCrl } from '../pki/index.js';
import { CrlReloadError } from './errors.js';

/** What the reloader logs through; pino's `logger.info(obj, msg)` fits. */
export interface CrlReloadLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CrlReloaderOptions {
  /** The CRL files, as the config lists them. */
  readonly files: readonly string[];
  /** The CRLs in force when the reloader starts (what the node read at start-up). */
  readonly initialPems: readonly string[];
  /** Puts new CRLs in force; throwing (a typed error) keeps the old ones, and the next trigger tries again. */
  readonly apply: (pems: readonly string[], crls: readonly ParsedCrl[]) => void;
  /** Files are read again this often, changed or not; 0 turns it off (default 60 s). */
  readonly intervalMs?: number;
  /** Watch the files' directories and reload on a change (default true). */
  readonly watch?: boolean;
  /** A CRL whose nextUpdate is closer than this is warned about at every check (default 48 h). */
  readonly expiryWarningMs?: number;
  /** Told each CRL's issuer and the seconds until its nextUpdate (negative once past) at every check. */
  readonly onExpiry?: (issuer: string, secondsLeft: number) => void;
  readonly now?: () => number;
  readonly log: CrlReloadLogger;
}

export type ReloadOutcome = 'applied' | 'unchanged' | 'failed';

/** Changes that come in a burst (an editor's write, a rename over the file) are read once. */
const WATCH_DEBOUNCE_MS = 100;

/**
 * Keeps the node's CRLs in step with their files (H6), without a restart: on a change of a file
 * (fs.watch on its directory, since CRLs are replaced by rename), on `reload()` (SIGHUP), and
 * every `intervalMs` as a backstop for filesystems that report no changes. New CRLs are parsed
 * in full before anything changes: a file that is missing, half-written or not a CRL is a
 * CrlReloadError in the log, and the CRLs in force stay. Each check also reports how long every
 * CRL has left, and warns well before one expires: past its nextUpdate, TLS refuses every peer
 * and the gateway every signed request.
 */
export class CrlReloader {
  private current: string;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly expiryWarningMs: number;
  private closed = false;

  constructor(private readonly options: CrlReloaderOptions) {
    this.current = options.initialPems.join('\n');
    this.now = options.now ?? Date.now;
    this.expiryWarningMs = options.expiryWarningMs ?? 48 * 3_600_000;
  }

  /** Starts watching and the periodic reload, and checks expiry of the CRLs in force now. */
  start(): void {
    this.reportExpiry(this.options.initialPems.map((pem) => parseCrlPem(pem)));
    if (this.options.watch ?? true) {
      const dirs = new Map<string, Set<string>>();
      for (const file of this.options.files) {
        const dir = path.dirname(file);
        if (!dirs.has(dir)) dirs.set(dir, new Set());
        dirs.get(dir)!.add(path.basename(file));
      }
      for (const [dir, names] of dirs) {
        try {
          const watcher = watch(dir, { persistent: false }, (_event, name) => {
            if (name === null || names.has(String(name))) this.soon();
          });
          watcher.on('error', (err) => this.options.log.warn({ dir, err: err.message }, 'CRL directory watch failed; the periodic reload still runs'));
          this.watchers.push(watcher);
        } catch (err) {
          this.options.log.warn({ dir, err: (err as Error).message }, 'cannot watch a CRL directory; the periodic reload still runs');
        }
      }
    }
    const interval = this.options.intervalMs ?? 60_000;
    if (interval > 0) {
      this.timer = setInterval(() => this.reload('interval'), interval);
      this.timer.unref();
    }
  }

  /** Reads the files now; applies them if they differ from the CRLs in force. Never throws. */
  reload(trigger: string): ReloadOutcome {
    if (this.closed) return 'unchanged';
    let pems: string[];
    let crls: ParsedCrl[];
    try {
      ({ pems, crls } = this.read());
    } catch (err) {
      this.options.log.warn({ trigger, code: (err as CrlReloadError).code, err: (err as Error).message }, 'CRL reload failed; the CRLs in force stay');
      return 'failed';
    }
    this.reportExpiry(crls);
    const text = pems.join('\n');
    if (text === this.current) return 'unchanged';
    try {
      this.options.apply(pems, crls);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      this.options.log.warn({ trigger, ...(typeof code === 'string' && { code }), err: (err as Error).message }, 'new CRLs could not be put in force; the old ones stay');
      return 'failed';
    }
    this.current = text;
    this.options.log.info({ trigger, crls: crls.map((c) => ({ issuer: c.issuerText, number: c.crlNumber, revoked: c.revoked.length, nextUpdate: c.nextUpdate?.toISOString() })) }, 'CRLs reloaded');
    return 'applied';
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }

  private soon(): void {
    if (this.closed || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.reload('file change');
    }, WATCH_DEBOUNCE_MS);
    this.debounce.unref();
  }

  private read(): { pems: string[]; crls: ParsedCrl[] } {
    const pems: string[] = [];
    const crls: ParsedCrl[] = [];
    for (const file of this.options.files) {
      let pem: string;
      try {
        pem = readFileSync(file, 'utf8');
      } catch (cause) {
        throw new CrlReloadError(`cannot read CRL '${file}': ${(cause as Error).message}`, { cause });
      }
      try {
        crls.push(parseCrlPem(pem));
      } catch (cause) {
        throw new CrlReloadError(`'${file}' is not a CRL: ${(cause as Error).message}`, { cause });
      }
      pems.push(pem);
    }
    return { pems, crls };
  }

  private reportExpiry(crls: readonly ParsedCrl[]): void {
    const now = this.now();
    for (const crl of crls) {
      if (!crl.nextUpdate) continue;
      const left = crl.nextUpdate.getTime() - now;
      this.options.onExpiry?.(crl.issuerText, Math.round(left / 1000));
      if (left <= 0) {
        this.options.log.warn({ issuer: crl.issuerText, nextUpdate: crl.nextUpdate.toISOString() }, 'CRL expired: TLS refuses peers and the gateway refuses signed requests until a fresh CRL is in place');
      } else if (left < this.expiryWarningMs) {
        this.options.log.warn({ issuer: crl.issuerText, nextUpdate: crl.nextUpdate.toISOString(), hoursLeft: Math.floor(left / 3_600_000) }, 'CRL expires soon: publish a fresh one (bsn ca crl) before its nextUpdate');
      }
    }
  }
}
