import { describe, expect, it } from '@jest/globals';
import {
  extractBearerToken,
  sendsAuthorization,
} from './bearer-token.extractor.js';

const request = (authorization?: string | string[]) => ({
  headers: authorization === undefined ? {} : { authorization },
});

describe('extractBearerToken', () => {
  it.each([
    ['Bearer a.b.c', 'a.b.c'],
    ['bearer a.b.c', 'a.b.c'],
    ['BEARER a.b.c', 'a.b.c'],
    ['Bearer   a.b.c', 'a.b.c'],
  ])('takes the credentials of %j', (header, expected) => {
    expect(extractBearerToken(request(header))).toBe(expected);
  });

  it.each([
    ['Bearer a.b.c d.e.f', 'a.b.c d.e.f'],
    ['Bearer a.b.c junk', 'a.b.c junk'],
    ['Bearer a.b.c ', 'a.b.c '],
    ['Bearer a.b.c,d', 'a.b.c,d'],
  ])(
    'hands %j on whole, for the token checks to refuse',
    (header, expected) => {
      expect(extractBearerToken(request(header))).toBe(expected);
    },
  );

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a bare scheme', 'Bearer'],
    ['a scheme and spaces', 'Bearer   '],
    ['Basic', 'Basic YWxpY2U6c2VjcmV0'],
    ['a scheme glued to the token', 'Bearera.b.c'],
    ['a token without scheme', 'a.b.c'],
    ['JWT scheme', 'JWT a.b.c'],
    ['an array value', ['Bearer a.b.c']],
  ])('finds no token with %s', (_label, header) => {
    expect(extractBearerToken(request(header))).toBeNull();
  });
});

describe('extractBearerToken with repeated Authorization fields', () => {
  it.each([
    [
      'Express',
      (raw: string[]) => ({
        headers: { authorization: raw[1] },
        rawHeaders: raw,
      }),
    ],
    [
      'Fastify',
      (raw: string[]) => ({
        headers: { authorization: raw[1] },
        raw: { rawHeaders: raw },
      }),
    ],
  ])('combines them on %s, for the token checks to refuse', (_label, build) => {
    const raw = [
      'Host',
      'x',
      'Authorization',
      'Bearer a.b.c',
      'authorization',
      'Bearer d.e.f',
    ];
    expect(extractBearerToken(build(raw.slice(2)))).toBe('a.b.c, Bearer d.e.f');
    expect(
      extractBearerToken(
        build([
          ...raw.slice(2),
          'Accept',
          '*/*',
          'AUTHORIZATION',
          'Bearer g.h.i',
        ]),
      ),
    ).toBe('a.b.c, Bearer d.e.f, Bearer g.h.i');
    expect(
      extractBearerToken(
        build(['Authorization', 'Bearer a.b.c', 'Authorizatio', 'Bearer x']),
      ),
    ).toBe('a.b.c');
    expect(
      extractBearerToken(build(['Authorization', 'Bearer a.b.c', 'Host', 'x'])),
    ).toBe('a.b.c');
  });
});

describe('sendsAuthorization', () => {
  it('is false only when there is no Authorization field', () => {
    expect(sendsAuthorization(request())).toBe(false);
  });

  it.each(['', 'Bearer', 'Basic YTpi', 'Bearer a.b.c', ['x', 'y']])(
    'is true for %j, which an optional route must not ignore',
    (header) => {
      expect(sendsAuthorization(request(header))).toBe(true);
    },
  );
});
