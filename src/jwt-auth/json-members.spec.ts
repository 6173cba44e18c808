import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
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

/** A JSON value as a tree, so that what a text must scan to is known. */
type Tree =
  | { kind: 'scalar'; written: string }
  | { kind: 'string'; written: string }
  | { kind: 'array'; items: Tree[] }
  | {
      kind: 'object';
      members: { name: string; spelled: string; value: Tree }[];
    };

const space = fc.constantFrom('', ' ', '\n\t ');

/** A name, decoded, and one of its JSON spellings: plain, or with escapes. */
const nameSpelling = fc
  .tuple(
    fc.string({
      unit: fc.constantFrom(
        ...['a', 'b', 's', 'u', '"', '\\', '/', 'é', '\n', ' '],
        ...['{', '}', '[', ']', ',', ':'],
      ),
      maxLength: 4,
    }),
    fc.boolean(),
  )
  .map(([name, escapeAll]) => ({
    name,
    spelled: escapeAll
      ? `"${[...name]
          .map(
            (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
          )
          .join('')}"`
      : JSON.stringify(name),
  }));

const { tree } = fc.letrec<{ tree: Tree }>((recur) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    fc
      .constantFrom(
        '1',
        '1.0',
        '1e0',
        '-0',
        '42',
        '10e-1',
        'true',
        'null',
        'false',
        '-7',
        '2E+3',
      )
      .map((written) => ({ kind: 'scalar' as const, written })),
    nameSpelling.map(({ spelled }) => ({
      kind: 'string' as const,
      written: spelled,
    })),
    fc
      .array(recur('tree'), { maxLength: 3 })
      .map((items) => ({ kind: 'array' as const, items })),
    fc
      .array(
        fc.record({
          naming: fc.oneof(
            nameSpelling,
            fc.constantFrom(
              ...['"sub"', '"s\\u0075b"', '"\\u0073\\u0075\\u0062"'].map(
                (spelled) => ({ name: 'sub', spelled }),
              ),
            ),
          ),
          value: recur('tree'),
        }),
        { maxLength: 4 },
      )
      .map((members) => ({
        kind: 'object' as const,
        members: members.map(({ naming, value }) => ({ ...naming, value })),
      })),
  ),
}));

function write(node: Tree, gap: string): string {
  switch (node.kind) {
    case 'scalar':
    case 'string':
      return node.written;
    case 'array':
      return `[${gap}${node.items.map((item) => write(item, gap)).join(`${gap},${gap}`)}${gap}]`;
    case 'object':
      return `{${gap}${node.members
        .map(
          ({ spelled, value }) => `${spelled}${gap}:${gap}${write(value, gap)}`,
        )
        .join(`${gap},${gap}`)}${gap}}`;
  }
}

function repeatsAName(node: Tree): boolean {
  if (node.kind === 'array') return node.items.some(repeatsAName);
  if (node.kind !== 'object') return false;
  const names = node.members.map(({ name }) => name);
  return (
    new Set(names).size !== names.length ||
    node.members.some(({ value }) => repeatsAName(value))
  );
}

describe('scanMembers, on any JSON text', () => {
  it('finds a repeated name exactly when some object repeats one, and captures sub as written', () => {
    fc.assert(
      fc.property(tree, space, (node, gap) => {
        const json = write(node, gap);
        const scan = scanMembers(json, JSON.parse(json) as object, 'sub');
        expect(scan.duplicateNames).toBe(repeatsAName(node));
        if (node.kind === 'object' && !scan.duplicateNames) {
          const sub = node.members.find(({ name }) => name === 'sub')?.value;
          expect(scan.captured).toBe(
            sub?.kind === 'scalar' ? sub.written : undefined,
          );
        }
      }),
      { numRuns: 5000 },
    );
  });
});
