import { describe, expect, it } from '@jest/globals';
import { scanMembers } from './json-members.js';

describe('scanMembers', () => {
  it.each([
    '{}',
    '[]',
    '{"a":1,"b":2}',
    '{"a":{"a":1},"b":{"a":2}}',
    '[{"a":1},{"a":2}]',
    '{"a":["a","a"],"b":"a"}',
    '{"a":"b","b":"a"}',
    '{"a,b":1,"a":2}',
    '{"a\\"":1,"a":2}',
    '{"a":"}","b":"{\\"b\\":1}"}',
    '{ "a" : 1 , "b" : [ 1 , { "a" : 1 } ] }',
    '"just a string"',
    '42',
  ])('finds no repeated name in %s', (json) => {
    expect(scanMembers(json, JSON.parse(json) as object).duplicateNames).toBe(
      false,
    );
  });

  it.each([
    '{"a":1,"a":2}',
    '{"sub":"1","exp":1,"sub":"2"}',
    '{"a":1,"b":{"c":1,"c":2}}',
    '[{"a":1,"a":1}]',
    '{"a":1,"\\u0061":2}',
    '{"a\\\\":1,"a\\u005c":2}',
    '{ "a" : 1 , "a" : 1 }',
    '{"x":[1,2],"y":{},"x":0}',
  ])('finds a repeated name in %s', (json) => {
    expect(scanMembers(json, JSON.parse(json) as object).duplicateNames).toBe(
      true,
    );
  });

  it.each([
    ['{"sub":42,"exp":1}', '42'],
    ['{"exp":1,"sub":1.0}', '1.0'],
    ['{"sub" : 1e0 }', '1e0'],
    ['{"sub":-0}', '-0'],
    ['{"s\\u0075b":10e-1}', '10e-1'],
    ['{"sub":true}', 'true'],
    ['{"sub":null}', 'null'],
    ['{"x":{"sub":1},"sub":1.0}', '1.0'],
  ])('captures how a top-level scalar was written in %s', (json, written) => {
    expect(scanMembers(json, JSON.parse(json) as object, 'sub').captured).toBe(
      written,
    );
  });

  it.each([
    '{"sub":"42"}',
    '{"sub":["1"]}',
    '{"sub":{"id":1}}',
    '{"x":{"sub":1}}',
    '{"x":[{"sub":1}]}',
    '{"subject":1}',
    '{"x":"sub","y":1}',
  ])('captures nothing in %s', (json) => {
    expect(
      scanMembers(json, JSON.parse(json) as object, 'sub').captured,
    ).toBeUndefined();
  });
});
