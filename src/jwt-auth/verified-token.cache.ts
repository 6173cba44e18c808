import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';

/**
 * Verified tokens by their exact text, holding at most `capacity` entries
 * in two generations: new entries go to the young one; when it is full, it
 * becomes the old one and the previous old one is dropped whole. A hit in
 * the old generation moves the entry back to the young one, so tokens in
 * use stay while unused ones age out.
 *
 * Every operation is O(1). (Evicting one oldest entry at a time from a
 * single `Map` is not: V8 skips the deleted slots at its front on each
 * `keys().next()`.)
 */
export class VerifiedTokenCache {
  private young = new Map<string, AuthenticatedUser>();
  private old = new Map<string, AuthenticatedUser>();
  private readonly generationSize: number;

  constructor(capacity: number) {
    this.generationSize = Math.floor(capacity / 2);
  }

  get(token: string): AuthenticatedUser | undefined {
    if (this.generationSize === 0) return undefined;
    const young = this.young.get(token);
    if (young !== undefined) return young;
    const old = this.old.get(token);
    if (old !== undefined) {
      this.old.delete(token);
      this.set(token, old);
    }
    return old;
  }

  set(token: string, user: AuthenticatedUser): void {
    if (this.generationSize === 0) return;
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(token, user);
  }

  delete(token: string): void {
    this.young.delete(token);
    this.old.delete(token);
  }
}
