import { describe, expect, it } from '@jest/globals';
import { hasDuplicateMemberNames } from './json-members.js';

describe('hasDuplicateMemberNames', () => {
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
  ])('finds none in %s', (json) => {
    expect(hasDuplicateMemberNames(json)).toBe(false);
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
  ])('finds one in %s', (json) => {
    expect(hasDuplicateMemberNames(json)).toBe(true);
  });
});
