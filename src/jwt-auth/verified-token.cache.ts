import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';

/**
 * Verified tokens by their exact text, holding at most `capacity` entries
 * in two generations: new entries go to the young one; when it is full, it
 * becomes the old one and the previous old one is dropped whole. A hit in
 * the old generation moves the entry back to the young one, so tokens in
 * use stay while unused ones age out.
 *
 * A token gets in on its second sighting: the first leaves only a 4-byte
 * fingerprint. Tokens presented once (a client that signs in for a single
 * request, say) then neither push out the tokens already cached nor cost an
 * entry that is never read. A client presenting each of many valid tokens
 * twice still pushes them out: they are verified in full on their next
 * request (no verdict changes).
 *
 * Every operation is O(1). (Evicting one oldest entry at a time from a
 * single `Map` is not: V8 skips the deleted slots at its front on each
 * `keys().next()`.)
 */
export class VerifiedTokenCache {
  private young = new Map<string, AuthenticatedUser>();
  private old = new Map<string, AuthenticatedUser>();
  private readonly generationSize: number;
  /**
   * Fingerprints of tokens sighted once, one per slot (0: none): a newer
   * sighting takes the slot of an older one. The power of two at or above
   * the number of tokens a generation holds, up to 2^20 slots (4 MiB).
   */
  private readonly sightings: Int32Array;

  constructor(capacity: number) {
    this.generationSize = Math.floor(capacity / 2);
    this.sightings = new Int32Array(
      this.generationSize === 0
        ? 0
        : 2 ** Math.min(Math.ceil(Math.log2(this.generationSize)), 20),
    );
  }

  get(token: string): AuthenticatedUser | undefined {
    if (this.generationSize === 0) return undefined;
    const young = this.young.get(token);
    if (young !== undefined) return young;
    const old = this.old.get(token);
    if (old !== undefined) {
      this.old.delete(token);
      this.store(token, old);
    }
    return old;
  }

  /** Offers a token that passed every check: it is kept from its second sighting on. */
  admit(token: string, user: AuthenticatedUser): void {
    if (this.generationSize === 0) return;
    const print = fingerprint(token);
    // The lowest bit of every fingerprint is set: the slot is taken from the others.
    const slot = (print >>> 1) & (this.sightings.length - 1);
    if (this.sightings[slot] === print) {
      this.sightings[slot] = 0;
      this.store(token, user);
    } else {
      this.sightings[slot] = print;
    }
  }

  delete(token: string): void {
    this.young.delete(token);
    this.old.delete(token);
  }

  private store(token: string, user: AuthenticatedUser): void {
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(token, user);
  }
}

/**
 * A 32-bit fingerprint of a verified token, never 0 (an empty slot), from
 * seven characters of its signature before the last one (which may carry
 * as few as 2 bits of the MAC): the key makes them unpredictable, so
 * distinct tokens rarely share one. (Two that do only get in a sighting
 * early; the cache itself is keyed by the whole text.)
 */
function fingerprint(token: string): number {
  let print = 0x811c9dc5;
  for (let at = token.length - 8; at < token.length - 1; at++) {
    print = Math.imul(print ^ token.charCodeAt(at), 0x01000193);
  }
  return print | 1;
}
