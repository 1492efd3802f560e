import { GovInvalidTrustCodeError } from './errors.js';

/*
 * GB 32100-2015, the unified social credit code (统一社会信用代码) an org registers with:
 *   1     registration authority code (1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游,
 *         7 宗教, 8 工会, 9 工商/市场监管, A 中央军委改革和编制办公室, N 农业, Y 其他)
 *   2     organisation type within that authority
 *   3–8   administrative region code (GB/T 2260): six digits, a province prefix
 *   9–17  organisation code (GB 11714)
 *   18    check character: (31 − Σ value(cᵢ)·wᵢ mod 31) mod 31, over the first 17
 * The alphabet has 31 characters: digits and capitals without I, O, Z, S, V.
 */

export const TRUST_CODE_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const AUTHORITIES = '123456789ANY';
/** GB/T 2260 province-level prefixes (mainland 11–65, Taiwan 71, Hong Kong 81, Macao 82). */
const PROVINCES = new Set([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82]);

/** The check character of the first 17 characters (all of the charset). */
export function trustCodeCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += TRUST_CODE_CHARSET.indexOf(first17[i]!) * WEIGHTS[i]!;
  return TRUST_CODE_CHARSET[(31 - (sum % 31)) % 31]!;
}

/** Why `code` is not a valid unified social credit code, or undefined when it is. */
export function trustCodeProblem(code: string): string | undefined {
  if (code.length !== 18) return `a unified social credit code has 18 characters, got ${code.length}`;
  const bad = [...code].find((c) => !TRUST_CODE_CHARSET.includes(c));
  if (bad !== undefined) return `'${bad}' is not in the code alphabet ${TRUST_CODE_CHARSET}`;
  if (!AUTHORITIES.includes(code[0]!)) return `'${code[0]}' is not a registration authority code`;
  const region = code.slice(2, 8);
  if (!/^\d{6}$/.test(region) || !PROVINCES.has(Number(region.slice(0, 2)))) return `'${region}' is not an administrative region code`;
  const check = trustCodeCheckChar(code);
  if (code[17] !== check) return `the check character is '${code[17]}', the code needs '${check}'`;
  return undefined;
}

export function isValidTrustCode(code: string): boolean {
  return trustCodeProblem(code) === undefined;
}

/** Throws GovInvalidTrustCodeError (GOV_INVALID_TRUST_CODE) for an invalid code. */
export function checkTrustCode(code: string): void {
  const problem = trustCodeProblem(code);
  if (problem !== undefined) throw new GovInvalidTrustCodeError(`trust code '${code}': ${problem}`);
}
