/**
 * Distinct valid tokens, signed ahead of the measurements that use them and
 * topped up between them, so that signing is never timed.
 */
export class TokenPool {
  private readonly tokens: string[] = [];

  /** @param sign signs the token with the given index; each index a different token. */
  constructor(private readonly sign: (index: number) => Promise<string>) {}

  /** How many tokens are signed. */
  get size(): number {
    return this.tokens.length;
  }

  /** Signs more tokens until the pool holds at least `count`. */
  async fill(count: number): Promise<void> {
    while (this.tokens.length < count) {
      const start = this.tokens.length;
      const batch = Math.min(1_000, count - start);
      this.tokens.push(
        ...(await Promise.all(
          Array.from({ length: batch }, (_, i) => this.sign(start + i)),
        )),
      );
    }
  }

  /** The token at `index`, which must be signed already. */
  at(index: number): string | undefined {
    return this.tokens[index];
  }

  /** A reader that gives each token of the pool once, in order. */
  reader(): TokenReader {
    return new TokenReader(this);
  }
}

/** Takes tokens from a pool in order, never one twice. */
export class TokenReader {
  private next = 0;
  private exhausted = false;

  constructor(private readonly pool: TokenPool) {}

  /** How many tokens it has given. */
  get position(): number {
    return this.next;
  }

  /** Whether it was asked for a token beyond the pool's end. */
  get ranOut(): boolean {
    return this.exhausted;
  }

  /** The next token, or `undefined` once the pool has none left for it. */
  take(): string | undefined {
    const token = this.pool.at(this.next);
    if (token === undefined) {
      this.exhausted = true;
      return undefined;
    }
    this.next++;
    return token;
  }

  /** Forgets that it ran out, once the pool has been topped up. */
  resume(): void {
    this.exhausted = false;
  }

  /** Tops the pool up so that at least `count` more tokens are there to take. */
  async reserve(count: number): Promise<void> {
    await this.pool.fill(this.next + Math.ceil(count));
  }
}
