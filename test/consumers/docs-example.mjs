// Fails unless the example spec in docs/testing.md is, verbatim, the ESM
// consumer's spec that test:consumers runs: the manual stays true.
import { readFileSync } from 'node:fs';

const DOC = 'docs/testing.md';
const SPEC = 'test/consumers/esm/test/app.e2e-spec.ts';
const doc = readFileSync(DOC, 'utf8');
const marker = doc.indexOf(`<!-- ${SPEC} -->\n`);
const fence = '```ts\n';
const start = doc.indexOf(fence, marker);
const end = doc.indexOf('\n```\n', start);
if (marker === -1 || start === -1 || end === -1) {
  throw new Error(`${DOC} has no \`\`\`ts block after <!-- ${SPEC} -->`);
}
const example = doc.slice(start + fence.length, end + 1);
if (example !== readFileSync(SPEC, 'utf8')) {
  throw new Error(`${DOC}'s example differs from ${SPEC}: copy it again`);
}
