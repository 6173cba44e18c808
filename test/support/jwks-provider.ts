import jwt from 'jsonwebtoken';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { nowSeconds } from './jws.js';

/** A signing key of the provider. */
export interface ProviderKey {
  readonly kid: string;
  readonly algorithm: 'RS256' | 'PS256' | 'ES256';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** How the provider answers its JWK Set. */
export type ProviderMode =
  'ok' | 'error' | 'hang' | 'redirect' | 'junk' | 'reset';

/** A new key pair of the provider's for `algorithm`. */
export function providerKey(
  algorithm: ProviderKey['algorithm'],
  kid: string = randomUUID(),
): ProviderKey {
  const pair =
    algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, algorithm, ...pair };
}

/**
 * An OpenID provider on a loopback port, for tests: it serves its JWK Set
 * at `/jwks.json` and its metadata at `/.well-known/openid-configuration`,
 * counts the fetches, and can be made to fail, hang or redirect.
 */
export class TestJwksProvider {
  /** The keys the set publishes. */
  keys: ProviderKey[] = [];
  /** JWKs published as they are, after `keys`. */
  rawKeys: object[] = [];
  /** How the set is answered. */
  mode: ProviderMode = 'ok';
  /** Fetches of the set, and of the metadata, since the start. */
  setFetches = 0;
  metadataFetches = 0;
  /** Paths of every request, in order. */
  readonly paths: string[] = [];
  /** The `issuer` the metadata claims; defaults to the provider's own URL. */
  claimedIssuer: string | undefined;
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();

  get url(): string {
    const { port } = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get jwksUri(): string {
    return `${this.url}/jwks.json`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.answer(request, response);
    });
    await new Promise<void>((resolve) => {
      this.server?.listen(0, '127.0.0.1', resolve);
    });
    return this;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** A token signed with `key`, for this provider's issuer. */
  sign(
    key: ProviderKey,
    claims: Record<string, unknown> = {},
    header: { kid?: string | null } = {},
  ): string {
    const kid = header.kid === undefined ? key.kid : header.kid;
    return jwt.sign(
      {
        sub: '42',
        iss: this.url,
        aud: 'api',
        exp: nowSeconds() + 300,
        ...claims,
      },
      key.privateKey,
      {
        algorithm: key.algorithm,
        allowInsecureKeySizes: true,
        ...(kid === null ? {} : { keyid: kid }),
      },
    );
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = request.url ?? '';
    this.paths.push(path);
    if (path === '/.well-known/openid-configuration') {
      this.metadataFetches++;
      this.json(response, {
        issuer: this.claimedIssuer ?? this.url,
        jwks_uri: this.jwksUri,
      });
      return;
    }
    if (path !== '/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    this.setFetches++;
    switch (this.mode) {
      case 'error':
        response.writeHead(500).end('{}');
        return;
      case 'hang':
        this.hanging.add(response);
        return;
      case 'reset':
        request.socket.destroy();
        return;
      case 'redirect':
        response
          .writeHead(302, { location: `${this.url}/elsewhere.json` })
          .end();
        return;
      case 'junk':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"keys": [');
        return;
      case 'ok':
        this.json(response, {
          keys: [
            ...this.keys.map((key) => ({
              ...key.publicKey.export({ format: 'jwk' }),
              kid: key.kid,
              alg: key.algorithm,
              use: 'sig',
            })),
            ...this.rawKeys,
          ],
        });
    }
  }

  private json(response: ServerResponse, body: unknown): void {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }
}
