import path from 'node:path';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { PrivateKey } from '../../src/crypto/index.js';
import { signRequest } from '../../src/gateway/rest/index.js';
import { issueLeaf, type LeafKind } from '../../src/pki/index.js';
import type { TestPki } from '../support/network-pki.js';

/* Shared by rest-users.test.ts and rest-apikeys.test.ts: certificates and a signing HTTP client. */

export const PASSPHRASE = 'correct horse battery staple'; // the one test/support/network-pki.ts uses

export interface Caller {
  readonly certPem: string;
  readonly keyPem: string | PrivateKey;
}

/** A leaf from the test PKI's operator CA: `org` bound to `app` is that app's admin. */
export async function issueCaller(pki: TestPki, name: string, kind: LeafKind, app?: string): Promise<Caller & { keyPem: string }> {
  const out = path.join(pki.dir, `caller-${name}`);
  await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind, name, ...(app && { app }), secret: { passphrase: PASSPHRASE } });
  return { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
}

export interface Reply {
  readonly status: number;
  readonly json: Record<string, unknown> & { error?: { code: string; message: string } };
}

export interface SendOptions {
  readonly nonce?: Uint8Array;
  /** Body text sent as is (and signed as is). */
  readonly raw?: string;
  readonly apiKey?: string;
  readonly headers?: Record<string, string>;
}

/** A client of one gateway: signs with `caller` (none: unsigned), or sends an API key. */
export function restClient(base: string, gateway: string) {
  return async (caller: Caller | undefined, method: string, reqPath: string, body?: unknown, options: SendOptions = {}): Promise<Reply> => {
    const text = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const appId = reqPath.split('/')[2]!;
    const headers: Record<string, string> = {
      ...(caller && signRequest({ gateway, method, path: reqPath, ...(text !== undefined && { body: text }), appId, certPem: caller.certPem, privateKey: caller.keyPem, ...(options.nonce && { nonce: options.nonce }) })),
      ...(text !== undefined && { 'content-type': 'application/json' }),
      ...(options.apiKey !== undefined && { 'x-api-key': options.apiKey }),
      ...options.headers,
    };
    const response = await fetch(base + reqPath, { method, headers, ...(text !== undefined && { body: text }) });
    const content = await response.text();
    return { status: response.status, json: content === '' ? {} : (JSON.parse(content) as Reply['json']) };
  };
}

export function expectError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.json));
  assert.equal(reply.json.error?.code, code, JSON.stringify(reply.json));
}

export const hexOf = (text: string): string => `0x${Buffer.from(text).toString('hex')}`;
