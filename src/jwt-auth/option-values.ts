import { JwtAuthOptionsError } from './errors/jwt-auth-options.error.js';

/**
 * A safe integer of at least `minimum` (0 or 1) and at most `maximum`, or an
 * error naming the option and unit.
 */
export function wholeNumber(
  option: string,
  value: unknown,
  minimum: number,
  unit: string,
  maximum = Number.MAX_SAFE_INTEGER,
): number {
  if (
    !Number.isSafeInteger(value) ||
    (value as number) < minimum ||
    (value as number) > maximum
  ) {
    const kind =
      minimum === 0 ? 'non-negative ' : minimum === 1 ? 'positive ' : '';
    const least = minimum > 1 ? ` from ${minimum}` : '';
    const bound = maximum < Number.MAX_SAFE_INTEGER ? ` up to ${maximum}` : '';
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" must be a ${kind}whole number of ${unit}${least}${bound}`,
    );
  }
  return value as number;
}
