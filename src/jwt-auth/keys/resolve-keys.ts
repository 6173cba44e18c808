import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { isIP } from 'node:net';
import { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import type {
  JwksOptions,
  JwtAlgorithm,
  JwtAuthModuleOptions,
} from '../interfaces/jwt-auth-module-options.interface.js';
import {
  isAsymmetric,
  isJwtAlgorithm,
  JWT_ALGORITHMS,
  MIN_RSA_BITS,
  type AsymmetricJwtAlgorithm,
} from './jwt-algorithms.js';
import { wholeNumber } from '../option-values.js';

/** A key once validated: what verifies, and what signs on this instance. */
export interface ResolvedKey {
  /** Its `kid`; `undefined` for a key without one. */
  readonly kid: string | undefined;
  readonly algorithm: JwtAlgorithm;
  /** The secret, or the public key. */
  readonly verifyKey: KeyObject;
  /** The secret, or the private key; `undefined` for a key that only verifies. */
  readonly signKey: KeyObject | undefined;
}

/** `secret` or `keys`, validated: keys of the application's own. */
export interface LocalKeys {
  readonly source: 'local';
  readonly list: readonly ResolvedKey[];
  /** The key that signs; `undefined` when none can. */
  readonly signing: ResolvedKey | undefined;
}

/** `jwks`, validated: the keys of an external provider. */
export interface RemoteKeys {
  readonly source: 'remote';
  /** The JWK Set URL; `undefined` to discover it from `issuer`. */
  readonly uri: URL | undefined;
  readonly issuer: string;
  readonly algorithms: readonly AsymmetricJwtAlgorithm[];
  /** Milliseconds. */
  readonly cacheMaxAge: number;
  /** Milliseconds. */
  readonly cooldown: number;
  /** Milliseconds. */
  readonly timeout: number;
}

export type ResolvedKeys = LocalKeys | RemoteKeys;

const DEFAULT_CACHE_MAX_AGE = 600_000;
const DEFAULT_COOLDOWN = 30_000;
const DEFAULT_TIMEOUT = 5_000;

/**
 * The start of a PEM block, or a JWK's `kty` member: a key in text form is
 * never an HMAC secret.
 */
const KEY_IN_TEXT = /-----BEGIN [A-Z0-9 ]+-----|"kty"\s*:/;

const HMAC_ALGORITHMS = Object.keys(JWT_ALGORITHMS).filter(
  (name) => !isAsymmetric(name as JwtAlgorithm),
);

/**
 * Validates `secret` and `algorithm`, `keys` and `signingKeyId`, or
 * `jwks`, exactly one of the three. Every fault names its option; no key
 * material ever appears in a message.
 */
export function resolveKeys(options: JwtAuthModuleOptions): ResolvedKeys {
  const given = (['secret', 'keys', 'jwks'] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (given.length > 1) {
    throw new JwtAuthOptionsError(
      given[1],
      `JwtAuthModule options ${given.map((name) => `"${name}"`).join(' and ')} exclude each other: give one`,
    );
  }
  if (options.keys === undefined && options.signingKeyId !== undefined) {
    throw new JwtAuthOptionsError(
      'signingKeyId',
      'JwtAuthModule option "signingKeyId" needs "keys"',
    );
  }
  if (options.secret === undefined && options.algorithm !== undefined) {
    throw new JwtAuthOptionsError(
      'algorithm',
      'JwtAuthModule option "algorithm" goes with "secret"; each of "keys" names its own',
    );
  }
  if (options.jwks !== undefined) return resolveRemoteKeys(options);
  if (options.keys !== undefined) {
    return resolveKeyList(options.keys, options.signingKeyId);
  }
  if (options.secret === undefined || options.secret === null) {
    throw new JwtAuthOptionsError(
      'secret',
      'JwtAuthModule option "secret" is required (or "keys", or "jwks")',
    );
  }
  const algorithm = options.algorithm ?? 'HS256';
  if (!HMAC_ALGORITHMS.includes(algorithm)) {
    throw new JwtAuthOptionsError(
      'algorithm',
      `JwtAuthModule option "algorithm" must be one of ${HMAC_ALGORITHMS.join(', ')}`,
    );
  }
  const key = resolveSecret('secret', options.secret, algorithm);
  const only = Object.freeze({
    kid: undefined,
    algorithm,
    verifyKey: key,
    signKey: key,
  });
  return Object.freeze({
    source: 'local',
    list: Object.freeze([only]),
    signing: only,
  });
}

function resolveKeyList(value: unknown, signingKeyId: unknown): LocalKeys {
  if (!Array.isArray(value) || value.length === 0) {
    throw new JwtAuthOptionsError(
      'keys',
      'JwtAuthModule option "keys" must be a non-empty array of keys',
    );
  }
  const list = value.map((entry: unknown, index) =>
    resolveKey(`keys[${index}]`, entry),
  );
  const ids = new Set<string | undefined>();
  list.forEach((key, index) => {
    if (ids.has(key.kid)) {
      throw new JwtAuthOptionsError(
        `keys[${index}].kid`,
        key.kid === undefined
          ? `JwtAuthModule option "keys[${index}]" has no kid, like another key: in a list, every key but one needs a kid`
          : `JwtAuthModule option "keys[${index}].kid" repeats a kid of an earlier key`,
      );
    }
    ids.add(key.kid);
    const twin = list
      .slice(0, index)
      .findIndex((other) => sameKey(other.verifyKey, key.verifyKey));
    if (twin !== -1) {
      // One key, one algorithm (RFC 8725 3.1).
      throw new JwtAuthOptionsError(
        `keys[${index}]`,
        `JwtAuthModule option "keys[${index}]" holds the same key as "keys[${twin}]": give each key one algorithm and one entry`,
      );
    }
  });
  let signing: ResolvedKey | undefined;
  if (signingKeyId === undefined) {
    signing = list.find((key) => key.signKey !== undefined);
  } else {
    signing = list.find((key) => key.kid === signingKeyId);
    if (signing === undefined) {
      throw new JwtAuthOptionsError(
        'signingKeyId',
        'JwtAuthModule option "signingKeyId" names no key of "keys"',
      );
    }
    if (signing.signKey === undefined) {
      throw new JwtAuthOptionsError(
        'signingKeyId',
        'JwtAuthModule option "signingKeyId" names a key without its private key',
      );
    }
  }
  return Object.freeze({ source: 'local', list: Object.freeze(list), signing });
}

function resolveKey(option: string, value: unknown): ResolvedKey {
  if (typeof value !== 'object' || value === null) {
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" must be an object: { kid, algorithm, secret } or { kid, algorithm, privateKey, publicKey }`,
    );
  }
  const entry = value as Partial<
    Record<'kid' | 'algorithm' | 'secret' | 'privateKey' | 'publicKey', unknown>
  >;
  const unknown = Object.keys(entry).find(
    (name) =>
      !['kid', 'algorithm', 'secret', 'privateKey', 'publicKey'].includes(name),
  );
  if (unknown !== undefined) {
    throw new JwtAuthOptionsError(
      `${option}.${unknown}`,
      `JwtAuthModule option "${option}" has an unknown field "${unknown}"`,
    );
  }
  const { kid, algorithm } = entry;
  if (
    kid !== undefined &&
    (typeof kid !== 'string' || kid.length === 0 || kid.length > 256)
  ) {
    throw new JwtAuthOptionsError(
      `${option}.kid`,
      `JwtAuthModule option "${option}.kid" must be a string of 1 to 256 characters`,
    );
  }
  if (!isJwtAlgorithm(algorithm)) {
    throw new JwtAuthOptionsError(
      `${option}.algorithm`,
      `JwtAuthModule option "${option}.algorithm" must be one of ${Object.keys(JWT_ALGORITHMS).join(', ')}`,
    );
  }
  if (!isAsymmetric(algorithm)) {
    if (entry.privateKey !== undefined || entry.publicKey !== undefined) {
      throw new JwtAuthOptionsError(
        `${option}.secret`,
        `JwtAuthModule option "${option}": ${algorithm} takes a "secret", not a key pair`,
      );
    }
    const key = resolveSecret(`${option}.secret`, entry.secret, algorithm);
    return Object.freeze({ kid, algorithm, verifyKey: key, signKey: key });
  }
  if (entry.secret !== undefined) {
    throw new JwtAuthOptionsError(
      `${option}.secret`,
      `JwtAuthModule option "${option}": ${algorithm} takes "privateKey" and "publicKey", not a "secret"`,
    );
  }
  const signKey =
    entry.privateKey === undefined
      ? undefined
      : keyOf(`${option}.privateKey`, entry.privateKey, 'private');
  if (signKey === undefined && entry.publicKey === undefined) {
    throw new JwtAuthOptionsError(
      `${option}.publicKey`,
      `JwtAuthModule option "${option}" needs a "publicKey", a "privateKey", or both`,
    );
  }
  const verifyKey =
    entry.publicKey === undefined
      ? createPublicKey(signKey as KeyObject)
      : keyOf(`${option}.publicKey`, entry.publicKey, 'public');
  checkKeyFits(`${option}.publicKey`, verifyKey, algorithm);
  if (signKey !== undefined) {
    checkKeyFits(`${option}.privateKey`, signKey, algorithm);
    if (!pairs(signKey, verifyKey, algorithm)) {
      throw new JwtAuthOptionsError(
        `${option}.publicKey`,
        `JwtAuthModule option "${option}": "privateKey" and "publicKey" are not a pair`,
      );
    }
  }
  return Object.freeze({ kid, algorithm, verifyKey, signKey });
}

/**
 * Whether two keys are one. Keys of different types are never compared:
 * OpenSSL 3 leaves an error behind on that, which fails the next key parse
 * of the process.
 */
function sameKey(one: KeyObject, other: KeyObject): boolean {
  return (
    one.type === other.type &&
    one.asymmetricKeyType === other.asymmetricKeyType &&
    one.equals(other)
  );
}

/** An HMAC secret of at least the hash's size; never a key in text form. */
function resolveSecret(
  option: string,
  secret: unknown,
  algorithm: JwtAlgorithm,
): KeyObject {
  let key: KeyObject;
  if (secret instanceof KeyObject) {
    if (secret.type !== 'secret') {
      throw new JwtAuthOptionsError(
        option,
        `JwtAuthModule option "${option}" must be a secret KeyObject, not a ${secret.type} key`,
      );
    }
    key = secret;
  } else if (typeof secret === 'string' || secret instanceof Uint8Array) {
    key = createSecretKey(
      typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret,
    );
  } else if (secret === undefined || secret === null) {
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" is required for ${algorithm}`,
    );
  } else {
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" must be a string, a Uint8Array or a secret KeyObject`,
    );
  }
  // A public key is no secret: HMAC with one lets anyone who has it sign
  // (the RS256/HS256 confusion).
  const text =
    typeof secret === 'string'
      ? secret
      : Buffer.from(
          secret instanceof KeyObject ? secret.export() : secret,
        ).toString('latin1');
  if (KEY_IN_TEXT.test(text)) {
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" holds a key in PEM or JWK form, which is not an HMAC secret: use "keys" with "publicKey" or "privateKey"`,
    );
  }
  const size = key.symmetricKeySize ?? 0;
  const family = JWT_ALGORITHMS[algorithm];
  const minimum = family.kind === 'hmac' ? family.minimumBytes : 0;
  if (size < minimum) {
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" is too weak for ${algorithm}: it has ${size} bytes and needs at least ${minimum} (RFC 7518 3.2)`,
    );
  }
  return key;
}

/** A private or public key from PEM text or bytes, or a `KeyObject` of that type. */
function keyOf(
  option: string,
  value: unknown,
  type: 'private' | 'public',
): KeyObject {
  if (value instanceof KeyObject) {
    if (value.type === type) return value;
    if (type === 'public' && value.type === 'private') {
      throw new JwtAuthOptionsError(
        option,
        `JwtAuthModule option "${option}" is a private key: give it as "privateKey"`,
      );
    }
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" must be a ${type} key, not a ${value.type} key`,
    );
  }
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" must be PEM text or a ${type} KeyObject`,
    );
  }
  const text = Buffer.from(value).toString('utf8');
  if (type === 'public' && /PRIVATE KEY-----/.test(text)) {
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" is a private key: give it as "privateKey"`,
    );
  }
  try {
    return type === 'private'
      ? createPrivateKey({ key: text, format: 'pem' })
      : createPublicKey({ key: text, format: 'pem' });
  } catch {
    // The parser's message is not kept: it may quote the key.
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" is not a readable PEM ${type} key`,
    );
  }
}

/** Refuses a key that does not fit its algorithm (`keyFault()`). */
function checkKeyFits(
  option: string,
  key: KeyObject,
  algorithm: AsymmetricJwtAlgorithm,
): void {
  const fault = keyFault(key, algorithm);
  if (fault !== undefined) {
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" ${fault}`,
    );
  }
}

/**
 * Why a key does not fit an algorithm, or `undefined` when it does: RSA
 * of at least 2048 bits (RSA-PSS keys for PS* only), or EC on the
 * algorithm's own curve.
 */
export function keyFault(
  key: KeyObject,
  algorithm: AsymmetricJwtAlgorithm,
): string | undefined {
  const family = JWT_ALGORITHMS[algorithm];
  const type = key.asymmetricKeyType;
  if (family.kind === 'rsa') {
    if (type !== 'rsa' && !(family.pss && type === 'rsa-pss')) {
      return `is a ${type ?? 'secret'} key; ${algorithm} needs an RSA${family.pss ? ' or RSA-PSS' : ''} key`;
    }
    const details = key.asymmetricKeyDetails ?? {};
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      return `is too weak for ${algorithm}: an RSA key of ${bits} bits, where at least ${MIN_RSA_BITS} are needed (RFC 7518 3.3)`;
    }
    // An RSA-PSS key carries the parameters it may be used with: those of
    // the algorithm (RFC 7518 3.5), with a salt no longer than the hash.
    const hash = `sha${algorithm.slice(2)}`;
    if (
      type === 'rsa-pss' &&
      (details.hashAlgorithm !== hash ||
        details.mgf1HashAlgorithm !== hash ||
        (details.saltLength ?? 0) > Number(algorithm.slice(2)) / 8)
    ) {
      return `is an RSA-PSS key whose parameters are not those of ${algorithm} (hash and MGF1 ${hash}, salt of at most ${Number(algorithm.slice(2)) / 8} bytes); use a plain RSA key, or one made for ${algorithm}`;
    }
  } else if (family.kind === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (type !== 'ec' || curve !== family.curve) {
      return `is ${type === 'ec' ? `an EC key on ${curve ?? 'an unnamed curve'}` : `a ${type ?? 'secret'} key`}; ${algorithm} needs an EC key on ${family.jwkCurve}`;
    }
  }
  return undefined;
}

/** Whether a signature of the private key holds under the public key. */
function pairs(
  privateKey: KeyObject,
  publicKey: KeyObject,
  algorithm: AsymmetricJwtAlgorithm,
): boolean {
  const probe = Buffer.from('nest-jwt-auth key pair probe');
  const hash = `sha${algorithm.slice(2)}`;
  try {
    return verify(hash, probe, publicKey, sign(hash, probe, privateKey));
  } catch {
    return false;
  }
}

function resolveRemoteKeys(options: JwtAuthModuleOptions): RemoteKeys {
  const jwks = options.jwks as JwksOptions | null;
  if (typeof jwks !== 'object' || jwks === null) {
    throw new JwtAuthOptionsError(
      'jwks',
      'JwtAuthModule option "jwks" must be an object: { uri } or { discover: true }',
    );
  }
  const unknown = Object.keys(jwks).find(
    (name) =>
      ![
        'uri',
        'discover',
        'algorithms',
        'cacheMaxAge',
        'cooldown',
        'timeout',
      ].includes(name),
  );
  if (unknown !== undefined) {
    throw new JwtAuthOptionsError(
      `jwks.${unknown}`,
      `JwtAuthModule option "jwks" has an unknown field "${unknown}"`,
    );
  }
  const { issuer, audience } = options;
  if (typeof issuer !== 'string' || issuer === '') {
    throw new JwtAuthOptionsError(
      'issuer',
      'JwtAuthModule option "issuer" is required with "jwks": a provider signs for many',
    );
  }
  if (audience === undefined) {
    throw new JwtAuthOptionsError(
      'audience',
      'JwtAuthModule option "audience" is required with "jwks": a provider signs for many',
    );
  }
  if (jwks.discover !== undefined && typeof jwks.discover !== 'boolean') {
    throw new JwtAuthOptionsError(
      'jwks.discover',
      'JwtAuthModule option "jwks.discover" must be a boolean',
    );
  }
  const discover = jwks.discover === true;
  if ((jwks.uri === undefined) === !discover) {
    throw new JwtAuthOptionsError(
      'jwks',
      'JwtAuthModule option "jwks" needs exactly one of "uri" and "discover: true"',
    );
  }
  const uri =
    jwks.uri === undefined ? undefined : fetchableUrl('jwks.uri', jwks.uri);
  if (discover) fetchableUrl('issuer', issuer);
  const algorithms = jwks.algorithms ?? ['RS256'];
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    !algorithms.every(
      (name: unknown) => isJwtAlgorithm(name) && isAsymmetric(name),
    )
  ) {
    throw new JwtAuthOptionsError(
      'jwks.algorithms',
      `JwtAuthModule option "jwks.algorithms" must be a non-empty array of ${Object.keys(
        JWT_ALGORITHMS,
      )
        .filter((name) => isAsymmetric(name as JwtAlgorithm))
        .join(', ')}`,
    );
  }
  return Object.freeze({
    source: 'remote',
    uri,
    issuer,
    algorithms: Object.freeze([...new Set(algorithms)]),
    cacheMaxAge: wholeNumber(
      'jwks.cacheMaxAge',
      jwks.cacheMaxAge ?? DEFAULT_CACHE_MAX_AGE,
      1000,
      'milliseconds',
      86_400_000,
    ),
    cooldown: wholeNumber(
      'jwks.cooldown',
      jwks.cooldown ?? DEFAULT_COOLDOWN,
      100,
      'milliseconds',
      3_600_000,
    ),
    timeout: wholeNumber(
      'jwks.timeout',
      jwks.timeout ?? DEFAULT_TIMEOUT,
      100,
      'milliseconds',
      60_000,
    ),
  });
}

/**
 * An `https:` URL, or `http:` to a loopback host: keys fetched in the
 * clear could be anyone's.
 */
export function fetchableUrl(option: string, value: unknown): URL {
  const url =
    typeof value === 'string' && URL.canParse(value)
      ? new URL(value)
      : undefined;
  const host = url?.hostname.replace(/^\[|\]$/g, '');
  const loopback =
    host === 'localhost' ||
    (isIP(host ?? '') === 4 && host?.startsWith('127.')) ||
    host === '::1';
  if (
    url === undefined ||
    !(
      url.protocol === 'https:' ||
      (url.protocol === 'http:' && loopback === true)
    ) ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new JwtAuthOptionsError(
      option,
      `JwtAuthModule option "${option}" must be an https:// URL (http:// on a loopback address only), without credentials`,
    );
  }
  return url;
}
