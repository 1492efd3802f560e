import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { IssuancePolicyError } from './errors.js';

/** Distinguished names as BSN writes them: O (optional), OU (role, app), CN, each its own RDN. */

const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
};
const OID_OF: Record<string, string> = Object.fromEntries(Object.entries(SHORT).map(([oid, short]) => [short, oid]));

export interface NameAttribute {
  readonly type: 'CN' | 'O' | 'OU';
  readonly value: string;
}

/** Names and identifiers go into DNs and extensions; keep them printable and within X.520 bounds. */
export function checkNameValue(what: string, value: string): void {
  if (value.trim().length === 0) throw new IssuancePolicyError(`${what} must not be empty`);
  if (value.length > 64) throw new IssuancePolicyError(`${what} is longer than 64 characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new IssuancePolicyError(`${what} contains control characters`);
}

export function buildName(attributes: readonly NameAttribute[]): Name {
  return new Name(
    attributes.map((attr) => {
      checkNameValue(attr.type, attr.value);
      const type = OID_OF[attr.type];
      if (!type) throw new IssuancePolicyError(`unsupported name attribute ${attr.type}`);
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: attr.value }) })]);
    }),
  );
}

function valueText(value: AttributeValue): string {
  if (value.anyValue) return `#${Buffer.from(value.anyValue).toString('hex')}`;
  return value.toString();
}

/** The attributes of a name in encoding order, as (short type, text) pairs. */
export function nameAttributes(name: Name): { type: string; value: string }[] {
  return name.flatMap((rdn) => rdn.map((atv) => ({ type: SHORT[atv.type] ?? atv.type, value: valueText(atv.value) })));
}

const ESCAPE = /([,+"\\<>;=])/g;

/** A one-line form, attributes in encoding order: "O=Acme, OU=node, CN=node1". */
export function nameToString(name: Name): string {
  const text = nameAttributes(name)
    .map(({ type, value }) => `${type}=${value.replace(ESCAPE, '\\$1')}`)
    .join(', ');
  return text || '(empty name)';
}

/** The first value of an attribute, e.g. the CN. */
export function nameValue(name: Name, type: 'CN' | 'O' | 'OU'): string | undefined {
  return nameAttributes(name).find((attr) => attr.type === type)?.value;
}

/**
 * Compares names the way RFC 5280 §7.1 asks for in practice (and as OpenSSL does): attribute by
 * attribute, case-insensitively and with runs of white space folded, whatever string type encodes them.
 */
export function namesEqual(a: Name, b: Name): boolean {
  return canonicalName(a) === canonicalName(b);
}

function canonicalName(name: Name): string {
  return JSON.stringify(
    name.map((rdn) =>
      rdn
        .map((atv) => `${atv.type}=${valueText(atv.value).trim().replace(/\s+/g, ' ').toLowerCase()}`)
        .sort(),
    ),
  );
}
