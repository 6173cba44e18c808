import { LRUCache } from 'lru-cache';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';

/** The most slots the table of first sightings takes: 2^20, 4 MiB. */
const MAX_SIGHTING_SLOTS = 2 ** 20;

/** A remembered token and its user. */
interface Entry {
  readonly token: string;
  readonly user: AuthenticatedUser;
}

/**
 * Tokens that passed every check: an LRU cache (`lru-cache`) of `size`
 * entries, each kept no longer than it is given. An entry is found by the
 * token's fingerprint, a small number that is cheap to hash where the
 * token's text is not, and serves only the token of its exact text.
 *
 * A token gets in on its second sighting: the first leaves only a 4-byte
 * fingerprint. Tokens presented once (a client that signs in for a single
 * request, say) then neither push out the tokens in steady use nor cost an
 * entry that is never read, and that the garbage collector must later
 * reclaim from the old generation.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<number, Entry>;
  /**
   * Fingerprints of tokens sighted once, one per slot (0: none): a newer
   * sighting takes the slot of an older one. As many slots as the cache
   * holds tokens, rounded up to a power of two, up to `MAX_SIGHTING_SLOTS`.
   */
  private readonly sightings: Int32Array;

  constructor(size: number) {
    // Bounded by a size of one per entry rather than by max, which would
    // allocate room for every entry up front.
    this.entries = new LRUCache({ maxSize: size, sizeCalculation: () => 1 });
    this.sightings = new Int32Array(
      Math.min(2 ** Math.ceil(Math.log2(size)), MAX_SIGHTING_SLOTS),
    );
  }

  get(token: string): AuthenticatedUser | undefined {
    const entry = this.entries.get(fingerprint(token));
    return entry?.token === token ? entry.user : undefined;
  }

  delete(token: string): void {
    const print = fingerprint(token);
    if (this.entries.peek(print)?.token === token) this.entries.delete(print);
  }

  /**
   * Offers a token that passed every check, to be kept for `ttl`
   * milliseconds: it is kept from its second sighting on.
   */
  offer(token: string, user: AuthenticatedUser, ttl: number): void {
    const print = fingerprint(token);
    // The lowest bit of every fingerprint is set: the slot is taken from the others.
    const slot = (print >>> 1) & (this.sightings.length - 1);
    if (this.sightings[slot] === print) {
      this.sightings[slot] = 0;
      this.entries.set(print, { token, user }, { ttl });
    } else {
      this.sightings[slot] = print;
    }
  }
}

/**
 * A 32-bit fingerprint of a verified token, never 0 (an empty slot), from
 * seven characters of its signature before the last one (which may carry
 * as few as 2 bits of the signature): the key makes them unpredictable, so
 * distinct tokens rarely share one. (Two that do only get in a sighting
 * early, or take each other's entry: each entry holds its token's whole
 * text, and serves no other.)
 */
function fingerprint(token: string): number {
  let print = 0x811c9dc5;
  for (let at = token.length - 8; at < token.length - 1; at++) {
    print = Math.imul(print ^ token.charCodeAt(at), 0x01000193);
  }
  return print | 1;
}
