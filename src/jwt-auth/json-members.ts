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
   * say): what `JSON.parse` turned into a value, as it was written.
   */
  readonly captured: string | undefined;
}

/**
 * One pass over a JSON text that `JSON.parse` has already accepted.
 *
 * `JSON.parse` silently keeps the last of repeated member names; RFC 7515 4
 * and RFC 7519 4 let a JWT parser refuse them instead, which we do, so that
 * no two parsers read different claims from one token. Names are compared
 * decoded: `"a"` and `"\u0061"` are the same name.
 *
 * It also returns how a top-level member's scalar value was written, since
 * `JSON.parse` makes `1`, `1.0` and `1e0` the same number.
 */
export function scanMembers(json: string, capture?: string): MemberScan {
  // One entry per open container: the names seen so far in an object, or
  // null for an array.
  const containers: (Set<string> | null)[] = [];
  let expectingName = false;
  let capturing = false;
  let captured: string | undefined;
  for (let index = 0; index < json.length; index++) {
    const char = json.charCodeAt(index);
    if (char === QUOTE) {
      const end = closingQuote(json, index);
      const names = containers[containers.length - 1];
      if (expectingName && names) {
        const name = nameAt(json, index, end);
        if (names.has(name)) return { duplicateNames: true, captured };
        names.add(name);
        expectingName = false;
        capturing = containers.length === 1 && name === capture;
      } else {
        capturing = false;
      }
      index = end;
    } else if (char === COLON && capturing) {
      const end = scalarEnd(json, index + 1);
      const text = json.slice(index + 1, end).trim();
      // Strings, objects and arrays are read as values; only a bare scalar
      // has a spelling that JSON.parse forgets.
      if (text.length > 0) captured = text;
      capturing = false;
    } else if (char === OPEN_OBJECT) {
      containers.push(new Set());
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
  return { duplicateNames: false, captured };
}

function closingQuote(json: string, open: number): number {
  let end = open + 1;
  for (;;) {
    const next = json.charCodeAt(end);
    if (next === QUOTE) return end;
    end += next === BACKSLASH ? 2 : 1;
  }
}

function nameAt(json: string, open: number, close: number): string {
  const raw = json.slice(open + 1, close);
  return raw.includes('\\')
    ? (JSON.parse(json.slice(open, close + 1)) as string)
    : raw;
}

/** Where a scalar value starting at `from` ends; an empty run when the value is a string or container. */
function scalarEnd(json: string, from: number): number {
  let end = from;
  while (end < json.length) {
    const char = json.charCodeAt(end);
    if (
      char === COMMA ||
      char === CLOSE_OBJECT ||
      char === QUOTE ||
      char === OPEN_OBJECT ||
      char === OPEN_ARRAY
    ) {
      break;
    }
    end++;
  }
  const text = json.slice(from, end).trim();
  // A string or container follows: nothing to capture.
  return text.length === 0 ? from : end;
}
