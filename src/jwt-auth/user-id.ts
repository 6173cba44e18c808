/** A canonical non-negative decimal integer: no sign, no padding, no leading zero. */
const CANONICAL_DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * Reads a user id from a token's `sub`: a canonical non-negative decimal
 * string (`"0"`, `"42"`) or a JSON integer, at most
 * `Number.MAX_SAFE_INTEGER`. Returns `undefined` for every other form,
 * including what Python's `int()` or JavaScript's `Number()` would take:
 * `" 42"`, `"+42"`, `"4_2"`, `"042"`, `"4e1"`, `"0x2a"`, `"٤٢"`, `""`, `-1`,
 * `4.2`, `-0`, `true`, `null`. A number is taken as JSON parses it: `1.0`
 * and `1e0` are the integer 1 (RFC 8259 6 has one number type).
 */
export function parseUserId(sub: unknown): number | undefined {
  if (typeof sub === 'number') {
    return Number.isSafeInteger(sub) && sub >= 0 && !Object.is(sub, -0)
      ? sub
      : undefined;
  }
  if (typeof sub === 'string' && CANONICAL_DECIMAL.test(sub)) {
    const id = Number(sub);
    return Number.isSafeInteger(id) ? id : undefined;
  }
  return undefined;
}
