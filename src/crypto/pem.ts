/**
 * PEM armour (RFC 7468) for keys that node:crypto cannot build itself (SM2 from a raw scalar).
 * Output matches OpenSSL's: 64-character base64 lines, trailing newline.
 */
export function pemEncode(der: Uint8Array, label: string): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The DER inside the first `label` block of `text`, or undefined when there is none or its body
 * is not valid base64 (Buffer.from would silently skip bad characters).
 */
export function pemDecode(text: string, label: string): Uint8Array | undefined {
  const begin = `-----BEGIN ${label}-----`;
  const start = text.indexOf(begin);
  if (start < 0) return undefined;
  const end = text.indexOf(`-----END ${label}-----`, start + begin.length);
  if (end < 0) return undefined;
  const body = text.slice(start + begin.length, end).replace(/\s+/g, '');
  if (body.length === 0 || !STRICT_BASE64.test(body)) return undefined;
  return new Uint8Array(Buffer.from(body, 'base64'));
}
