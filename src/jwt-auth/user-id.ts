/** A canonical non-negative decimal integer: no sign, no padding, no leading zero. */
const CANONICAL_DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * Reads a user id from a token's `sub`: a canonical non-negative decimal
 * string (`"0"`, `"42"`) or a JSON integer, at most
 * `Number.MAX_SAFE_INTEGER`. Returns `undefined` for every other form,
 * including what Python's `int()` or JavaScript's `Number()` would take:
 * `" 42"`, `"+42"`, `"4_2"`, `"042"`, `"4e1"`, `"0x2a"`, `"٤٢"`, `""`, `-1`,
 * `4.2`, `true`, `null`.
 *
 * @param written for a number, how the token wrote it: `1.0` and `1e0` parse
 *   to the integer 1, but are not JSON integers.
 */
export function parseUserId(
  sub: unknown,
  written?: string,
): number | undefined {
  if (typeof sub === 'number') {
    if (written !== undefined && !CANONICAL_DECIMAL.test(written))
      return undefined;
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
