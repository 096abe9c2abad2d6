// The analytics date range: a year-0 date (found by the fuzz suite: a 500 from
// the store) is a validation error, ordinary ranges parse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DateRangeQuery } from '../../../src/api/schemas.ts';

test('dates outside 1970..9999 are refused; day ranges and the default parse', () => {
  assert.equal(DateRangeQuery.safeParse({ to: '0000-01-01T00:00:00Z' }).success, false);
  assert.equal(DateRangeQuery.safeParse({ from: '1969-12-31T23:59:59Z', to: '2026-01-01T00:00:00Z' }).success, false);
  assert.equal(DateRangeQuery.safeParse({ start_date: '2026-01-01', end_date: '2026-02-01' }).success, true);
  assert.equal(DateRangeQuery.safeParse({}).success, true);
});
