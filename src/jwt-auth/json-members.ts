const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Stands for the top-level object, whose names are counted, not kept. */
const TOP_LEVEL: ReadonlySet<string> = new Set();

/** What `scanMembers()` found. */
export interface MemberScan {
  /** Whether any object, at any depth, repeats a member name. */
  readonly duplicateNames: boolean;
  /**
   * The source text of the top-level member named by `scanMembers()`'s
   * `capture`, when its value is not a string, object or array (a number,
   * say): what `JSON.parse` turned into a value, as it was written.
   */
  readonly captured: string | undefined;
}

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
  // One entry per open container below the top: the names seen so far in
  // an object, or null for an array. The top level only counts its names:
  // JSON.parse dropped any repeat, so a count above its key count is one.
  const containers: (ReadonlySet<string> | Set<string> | null)[] = [];
  let topLevelNames = 0;
  let expectingName = false;
  let capturing = false;
  let captured: string | undefined;
  let index = 0;
  // Strings are skipped whole with indexOf; only the short runs between
  // them, where the structure is, are read character by character.
  for (;;) {
    const open = json.indexOf('"', index);
    const runEnd = open === -1 ? json.length : open;
    for (let at = index; at < runEnd; at++) {
      const char = json.charCodeAt(at);
      if (char === COLON && capturing) {
        const text = json.slice(at + 1, scalarEnd(json, at + 1, runEnd)).trim();
        // A string or container follows when nothing does before the quote.
        if (text.length > 0) captured = text;
        capturing = false;
      } else if (char === OPEN_OBJECT) {
        containers.push(containers.length === 0 ? TOP_LEVEL : new Set());
        expectingName = true;
        capturing = false;
      } else if (char === OPEN_ARRAY) {
        containers.push(null);
        expectingName = false;
        capturing = false;
      } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
        containers.pop();
        expectingName = false;
      } else if (char === COMMA) {
        expectingName = containers[containers.length - 1] != null;
      }
    }
    if (open === -1) {
      const duplicateNames =
        topLevelNames > 0 && topLevelNames !== Object.keys(parsed).length;
      return { duplicateNames, captured };
    }

    const close = closingQuote(json, open);
    const names = containers[containers.length - 1];
    if (expectingName && names) {
      expectingName = false;
      if (containers.length === 1) {
        topLevelNames++;
        capturing = capture !== undefined && nameIs(json, open, close, capture);
      } else {
        const name = nameAt(json, open, close);
        if (names.has(name)) return { duplicateNames: true, captured };
        (names as Set<string>).add(name);
      }
    } else {
      capturing = false;
    }
    index = close + 1;
  }
}

function closingQuote(json: string, open: number): number {
  let close = json.indexOf('"', open + 1);
  // A quote after an odd run of backslashes is escaped.
  while (backslashesBefore(json, close) % 2 === 1)
    close = json.indexOf('"', close + 1);
  return close;
}

function backslashesBefore(json: string, at: number): number {
  let count = 0;
  while (json.charCodeAt(at - 1 - count) === BACKSLASH) count++;
  return count;
}

/** Whether the string between the quotes at `open` and `close` is `name`, without copying it. */
function nameIs(
  json: string,
  open: number,
  close: number,
  name: string,
): boolean {
  if (close - open - 1 === name.length && json.startsWith(name, open + 1))
    return true;
  // Escapes can spell any name: decode to compare.
  return (
    json.lastIndexOf('\\', close) > open && nameAt(json, open, close) === name
  );
}

function nameAt(json: string, open: number, close: number): string {
  const raw = json.slice(open + 1, close);
  return raw.includes('\\')
    ? (JSON.parse(json.slice(open, close + 1)) as string)
    : raw;
}

/** Where a scalar value starting at `from` ends, within a run that ends at `limit`. */
function scalarEnd(json: string, from: number, limit: number): number {
  let end = from;
  while (end < limit) {
    const char = json.charCodeAt(end);
    if (
      char === COMMA ||
      char === CLOSE_OBJECT ||
      char === CLOSE_ARRAY ||
      char === OPEN_OBJECT ||
      char === OPEN_ARRAY
    ) {
      break;
    }
    end++;
  }
  return end;
}
