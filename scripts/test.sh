#!/usr/bin/env bash
# README's test command (`npm test`): type-check, unit + integration tests, then
# end-to-end tests in headless Chromium. Tests that need PostgreSQL / Redis run
# when FACEGATE_TEST_DATABASE_URL / FACEGATE_TEST_REDIS_URL are set (.ci/run
# starts both on loopback and sets them) and say why they skip otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "== typecheck"
npm run --silent typecheck
echo "== unit and integration tests"
npm run --silent test:unit
if [ -d test/e2e ] && [ -n "$(find test/e2e -name '*.test.ts' -print -quit)" ]; then
  echo "== end-to-end tests"
  npm run --silent test:e2e
fi
