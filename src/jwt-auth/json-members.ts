const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * Whether any object in a JSON text repeats a member name, at any depth.
 * `JSON.parse` silently keeps the last duplicate; RFC 7519 4 lets a JWT
 * parser refuse them instead, which we do, so that no two parsers can read
 * different claims from one token. Names are compared decoded, so `"a"` and
 * `"\u0061"` are the same name.
 *
 * The text must already be valid JSON (`JSON.parse` accepted it).
 */
export function hasDuplicateMemberNames(json: string): boolean {
  // One entry per open container: the names seen so far in an object, or
  // null for an array.
  const containers: (Set<string> | null)[] = [];
  let expectingName = false;
  for (let index = 0; index < json.length; index++) {
    const char = json.charCodeAt(index);
    if (char === QUOTE) {
      let end = index + 1;
      let escaped = false;
      for (;;) {
        const next = json.charCodeAt(end);
        if (next === QUOTE) break;
        if (next === BACKSLASH) {
          escaped = true;
          end += 2;
        } else {
          end += 1;
        }
      }
      const names = containers[containers.length - 1];
      if (expectingName && names) {
        const name = escaped
          ? (JSON.parse(json.slice(index, end + 1)) as string)
          : json.slice(index + 1, end);
        if (names.has(name)) return true;
        names.add(name);
        expectingName = false;
      }
      index = end;
    } else if (char === OPEN_OBJECT) {
      containers.push(new Set());
      expectingName = true;
    } else if (char === OPEN_ARRAY) {
      containers.push(null);
      expectingName = false;
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      containers.pop();
      expectingName = false;
    } else if (char === COMMA) {
      expectingName = containers[containers.length - 1] != null;
    }
  }
  return false;
}
