import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../media/waitFor.ts';

test('waitFor() resolves done when the condition settles it, and disarms', async () => {
  let disarmed = 0;
  const r = await waitFor(Date.now() + 1000, undefined, (settle) => {
    setTimeout(() => settle('done'), 10);
    return () => void disarmed++;
  });
  assert.equal(r, 'done');
  assert.equal(disarmed, 1);
});

test('waitFor() settled synchronously by arm() still disarms once', async () => {
  let disarmed = 0;
  const r = await waitFor(Date.now() + 1000, undefined, (settle) => {
    settle('closed');
    settle('done');
    return () => void disarmed++;
  });
  assert.equal(r, 'closed');
  assert.equal(disarmed, 1);
});

test('waitFor() resolves timed_out at the deadline', async () => {
  const t0 = performance.now();
  const r = await waitFor(Date.now() + 50, undefined, () => () => undefined);
  assert.equal(r, 'timed_out');
  assert.ok(performance.now() - t0 >= 40);
});

test('waitFor() resolves aborted on the signal, and at once for an aborted one', async () => {
  const ac = new AbortController();
  const p = waitFor(Date.now() + 5000, ac.signal, () => () => undefined);
  ac.abort();
  assert.equal(await p, 'aborted');
  assert.equal(await waitFor(Date.now() + 5000, ac.signal, () => () => undefined), 'aborted');
});

test('waitFor() with a past deadline or a throwing arm() never rejects', async () => {
  assert.equal(await waitFor(Date.now() - 1, undefined, () => () => undefined), 'timed_out');
  assert.equal(
    await waitFor(Date.now() + 1000, undefined, () => {
      throw new Error('boom');
    }),
    'closed',
  );
});
