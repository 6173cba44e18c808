import { isUtf8 } from 'node:buffer';

/**
 * Base64url text of ASCII bytes alone, up to the dot that ends it. Every
 * four characters carry three bytes, and the top bits of the bytes are the
 * bits worth 32 in the first character's value, 8 in the second's and 2 in
 * the third's: each of these positions takes only the characters whose bit
 * is clear. A shorter last group carries one byte (two characters) or two
 * (three).
 */
const ASCII_SEGMENT =
  /(?:[A-Za-f][A-HQ-Xg-nw-z0-3][ABEFIJMNQRUVYZcdghklopstwx014589][\w-])*(?:[A-Za-f][A-HQ-Xg-nw-z0-3]?[\w-])?\./y;

/**
 * Whether the base64url segment of `text` from `start` to the next dot
 * decodes to ASCII bytes alone, told by its characters without decoding.
 */
export function decodesToAscii(text: string, start: number): boolean {
  ASCII_SEGMENT.lastIndex = start;
  return ASCII_SEGMENT.test(text);
}

/**
 * Whether the base64url segment of `text` from `start` to the next dot (or
 * the end) decodes to UTF-8. Only a segment with bytes beyond ASCII is
 * decoded.
 */
export function decodesToUtf8(text: string, start: number): boolean {
  if (decodesToAscii(text, start)) return true;
  const end = text.indexOf('.', start);
  return isUtf8(
    Buffer.from(text.slice(start, end === -1 ? undefined : end), 'base64url'),
  );
}
