const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** What `scanMembers()` found. */
export interface MemberScan {
  /** Whether any object, at any depth, repeats a member name. */
  readonly duplicateNames: boolean;
  /**
   * The source text of the top-level member named by `scanMembers()`'s
   * `capture`, when its value is not a string, object or array (a number,
   * say): what `JSON.parse` turned into a value, as it was written. Not
   * read when `duplicateNames` is true.
   */
  readonly captured: string | undefined;
}

const DUPLICATE_NAMES: MemberScan = Object.freeze({
  duplicateNames: true,
  captured: undefined,
});
const NOTHING_FOUND: MemberScan = Object.freeze({
  duplicateNames: false,
  captured: undefined,
});

/**
 * One pass over a JSON text that `JSON.parse` has already accepted, and
 * the value it returned.
 *
 * `JSON.parse` silently keeps the last of repeated member names; RFC 7515 4
 * and RFC 7519 4 let a JWT parser refuse them instead, which we do, so that
 * no two parsers read different claims from one token. Names are compared
 * decoded: `"a"` and `"\u0061"` are the same name.
 *
 * It also returns how a top-level member's scalar value was written, since
 * `JSON.parse` makes `1`, `1.0` and `1e0` the same number.
 */
export function scanMembers(
  json: string,
  parsed: object,
  capture?: string,
): MemberScan {
  // How many containers are open. The top-level object only counts its
  // names: JSON.parse dropped any repeat, so a count above its key count
  // is one. Each container below it has an entry in `nested`: the names
  // seen so far in an object, or null for an array.
  let depth = 0;
  let nested: (Set<string> | null)[] | undefined;
  let topLevelIsObject = false;
  let topLevelNames = 0;
  let expectingName = false;
  let capturing = false;
  let captured: string | undefined;
  // Strings are skipped whole with indexOf; only the characters between
  // them, where the structure is, are read one by one.
  for (let at = 0; at < json.length; at++) {
    const char = json.charCodeAt(at);
    if (char === QUOTE) {
      const close = closingQuote(json, at);
      if (expectingName) {
        expectingName = false;
        if (depth === 1) {
          topLevelNames++;
          capturing = capture !== undefined && nameIs(json, at, close, capture);
        } else {
          const names = nested![depth - 2]!;
          const name = nameAt(json, at, close);
          if (names.has(name)) return DUPLICATE_NAMES;
          names.add(name);
        }
      } else {
        capturing = false;
      }
      at = close;
    } else if (char === COLON) {
      if (capturing) {
        const end = scalarEnd(json, at + 1);
        const text = json.slice(at + 1, end).trim();
        // A string or container follows when nothing does before it.
        if (text.length > 0) captured = text;
        capturing = false;
      }
    } else if (char === COMMA) {
      expectingName =
        depth === 1 ? topLevelIsObject : nested![depth - 2] !== null;
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      const isObject = char === OPEN_OBJECT;
      if (depth === 0) topLevelIsObject = isObject;
      else (nested ??= []).push(isObject ? new Set() : null);
      depth++;
      expectingName = isObject;
      capturing = false;
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      depth--;
      if (depth > 0) nested!.pop();
      expectingName = false;
    }
  }
  if (topLevelNames > 0 && topLevelNames !== Object.keys(parsed).length) {
    return DUPLICATE_NAMES;
  }
  return captured === undefined
    ? NOTHING_FOUND
    : { duplicateNames: false, captured };
}

function closingQuote(json: string, open: number): number {
  let close = json.indexOf('"', open + 1);
  // A quote after an odd run of backslashes is escaped.
  while (
    json.charCodeAt(close - 1) === BACKSLASH &&
    backslashesBefore(json, close) % 2 === 1
  ) {
    close = json.indexOf('"', close + 1);
  }
  return close;
}

function backslashesBefore(json: string, at: number): number {
  let count = 0;
  while (json.charCodeAt(at - 1 - count) === BACKSLASH) count++;
  return count;
}

/**
 * Whether the string between the quotes at `open` and `close` is `name` (which
 * holds no backslash), without copying it.
 */
function nameIs(
  json: string,
  open: number,
  close: number,
  name: string,
): boolean {
  const length = close - open - 1;
  if (length === name.length) return json.startsWith(name, open + 1);
  // An escape spells a character with more than one: decode to compare.
  return length > name.length && nameAt(json, open, close) === name;
}

function nameAt(json: string, open: number, close: number): string {
  const raw = json.slice(open + 1, close);
  return raw.includes('\\')
    ? (JSON.parse(json.slice(open, close + 1)) as string)
    : raw;
}

/** Where a scalar value starting at `from` ends: at the next structural character. */
function scalarEnd(json: string, from: number): number {
  let end = from;
  while (end < json.length) {
    const char = json.charCodeAt(end);
    if (
      char === COMMA ||
      char === CLOSE_OBJECT ||
      char === CLOSE_ARRAY ||
      char === OPEN_OBJECT ||
      char === OPEN_ARRAY ||
      char === QUOTE
    ) {
      break;
    }
    end++;
  }
  return end;
}
