#!/usr/bin/env bash
# npm test: type-check, lint, build the plugin bundle and the library, transpile, then run every
# node:test suite.
# Suites that need real Open vSwitch/OVN run as root and make their own network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
node node_modules/typescript/bin/tsc -p tsconfig.json --noEmit
# Lint and format: one config (biome.json), zero warnings (`npm run lint:fix` mends what it can).
node node_modules/@biomejs/biome/bin/biome ci --colors=off --error-on-warnings .
node build/plugin.mjs
node build/host-agent.mjs
node build/lib.mjs
node build/transpile.mjs --clean
files=$(find .build/test -name '*.test.js' | sort)
exec node --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-reporter=spec $files
