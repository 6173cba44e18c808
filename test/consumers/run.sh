#!/usr/bin/env bash
# Checks the package as npm would publish it: packs the library once, lints
# the tarball (publint, attw), then installs it into each consumer app,
# compiles the app with its own tsconfig and runs its e2e spec on Node's
# test runner. Each app is copied to a temporary folder first, so that
# nothing resolves from this repository's node_modules. Any failure stops
# the run and names the step.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step=''
trap 'echo "test:consumers: FAILED at: $step" >&2' ERR

cd "$root"
step='docs/testing.md example matches test/consumers/esm/test/app.e2e-spec.ts'
node test/consumers/docs-example.mjs

step='npm pack'
npm pack --silent --pack-destination "$work" >/dev/null
tarball="$(ls "$work"/*.tgz)"
echo "== packed $(basename "$tarball")"

step='publint'
npx publint --strict "$tarball"

# attw's "esm-only" profile skips the node10 and node16-from-CJS checks. The
# package is ESM only, like Nest 12 itself: node10 resolution cannot read an
# exports map at all, and attw reports every ESM file required from CJS as
# "dynamic import only", which Node 20.19+ (require(esm)) no longer means.
# The CommonJS consumer below is the proof that require() works.
step='attw'
npx attw --profile esm-only "$tarball"

for consumer in cjs esm; do
  step="consumer $consumer"
  echo "== consumer $consumer"
  cp -R "$root/test/consumers/$consumer" "$work/$consumer"
  (
    cd "$work/$consumer"
    npm install --no-save --no-package-lock --no-audit --no-fund \
      --prefer-offline "$tarball"
    npm run --silent build
    npm run --silent test:e2e
  )
done
echo "== consumers passed: cjs, esm"
