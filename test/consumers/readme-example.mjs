// Fails unless the README's "Testing your app" example is, verbatim, the
// ESM consumer's spec that test:consumers runs: the manual stays true.
import { readFileSync } from 'node:fs';

const SPEC = 'test/consumers/esm/test/app.e2e-spec.ts';
const readme = readFileSync('README.md', 'utf8');
const marker = readme.indexOf(`<!-- ${SPEC} -->\n`);
const fence = '```ts\n';
const start = readme.indexOf(fence, marker);
const end = readme.indexOf('\n```\n', start);
if (marker === -1 || start === -1 || end === -1) {
  throw new Error(`README.md has no \`\`\`ts block after <!-- ${SPEC} -->`);
}
const example = readme.slice(start + fence.length, end + 1);
if (example !== readFileSync(SPEC, 'utf8')) {
  throw new Error(`README.md's example differs from ${SPEC}: copy it again`);
}
