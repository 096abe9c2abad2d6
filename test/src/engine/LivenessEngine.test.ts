import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FacegateError } from '../../../common/errors.ts';
import { httpStatus } from '../../../src/api/httpStatus.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { InMemorySessionStore } from '../../../src/engine/InMemorySessionStore.ts';
import { LivenessEngine } from '../../../src/engine/LivenessEngine.ts';
import { ManualClock } from '../../../src/engine/ManualClock.ts';
import { SystemClock } from '../../../src/engine/SystemClock.ts';
import { obs, RecordingSink } from './fixtures.ts';

function engine(ttlMs = 180_000) {
  const clock = new ManualClock(1000);
  const store = new InMemorySessionStore(clock);
  const e = new LivenessEngine({ gallery: new InMemoryGallery(), clock, store, session: { ttlMs } });
  return { e, clock, store };
}

describe('LivenessEngine', () => {
  it('create() stores a created record and connect() moves it to connected', async (t) => {
    const { e, store } = engine();
    t.after(() => e.close());
    const r = await e.create({ kind: 'identification', sink: new RecordingSink() });
    assert.equal(r.state, 'created');
    assert.equal(r.expiresAt - r.createdAt, 180_000);
    assert.equal((await store.get(r.id))?.state, 'created');
    assert.equal((await e.connect(r.id)).state, 'connected');
    await e.pushObservation(r.id, obs(1000));
    assert.equal((await store.get(r.id))?.state, 'capturing', 'state changes reach the store');
  });

  it('create() rejects a verification without a subject and an unknown kind with validation_error', async (t) => {
    const { e } = engine();
    t.after(() => e.close());
    await assert.rejects(e.create({ kind: 'verification', sink: new RecordingSink() }), (err: unknown) => err instanceof FacegateError && err.code === 'validation_error');
    await assert.rejects(
      e.create({ kind: 'nonsense' as 'verification', subjectId: 'x', sink: new RecordingSink() }),
      (err: unknown) => err instanceof FacegateError && err.code === 'validation_error',
    );
  });

  it('a session expires at its TTL with reason expired, and the record keeps the decision', async (t) => {
    const { e, clock } = engine(5000);
    t.after(() => e.close());
    const sink = new RecordingSink();
    const r = await e.create({ kind: 'identification', sink });
    clock.advance(5001);
    await new Promise((res) => setImmediate(res));
    const d = sink.of('result')[0]?.decision;
    assert.equal(d?.outcome, 'expired');
    assert.equal(d?.reason, 'expired');
    assert.equal((await e.get(r.id)).state, 'expired');
    assert.equal(e.sessionCount, 0);
    await assert.rejects(e.pushObservation(r.id, obs(0)), (err: unknown) => err instanceof FacegateError && err.code === 'session_not_found');
  });

  it('pushObservation() runs the session and a silent camera fails the challenge by clock ticks', async (t) => {
    const { e, clock } = engine();
    t.after(() => e.close());
    const sink = new RecordingSink();
    const r = await e.create({ kind: 'identification', sink, plan: [{ kind: 'blink', delayMs: 100, windowMs: 2000 }] });
    for (let i = 0; i < 10; i++) {
      clock.set(1000 + i * 100);
      await e.pushObservation(r.id, obs(clock.now()));
    }
    assert.equal(sink.of('challenge').length, 1);
    // The camera stops: only clock ticks remain.
    clock.advance(30_000);
    await new Promise((res) => setImmediate(res));
    assert.equal(sink.of('result')[0]?.decision.reason, 'challenge_timeout');
  });

  it('cancel() ends a live session with reason cancelled and is idempotent', async (t) => {
    const { e } = engine();
    t.after(() => e.close());
    const sink = new RecordingSink();
    const r = await e.create({ kind: 'identification', sink });
    assert.equal((await e.cancel(r.id)).state, 'cancelled');
    assert.equal((await e.cancel(r.id)).state, 'cancelled');
    assert.equal(sink.of('result').length, 1);
  });

  it('get() of an unknown id rejects with session_not_found', async (t) => {
    const { e } = engine();
    t.after(() => e.close());
    await assert.rejects(e.get('nope'), (err: unknown) => err instanceof FacegateError && err.code === 'session_not_found' && httpStatus(err.code) === 404);
  });

  it('pushFrame() without an analyzer rejects with service_unavailable', async (t) => {
    const { e } = engine();
    t.after(() => e.close());
    const r = await e.create({ kind: 'identification', sink: new RecordingSink() });
    const frame = { data: new Uint8Array(12), width: 2, height: 2, stride: 6, format: 'rgb24' as const };
    await assert.rejects(e.pushFrame(r.id, frame, 0), (err: unknown) => err instanceof FacegateError && err.code === 'service_unavailable');
  });

  it('close() cancels live sessions and later calls reject with session_closed', async () => {
    const { e } = engine();
    const sink = new RecordingSink();
    const r = await e.create({ kind: 'identification', sink });
    await e.close();
    await e.close();
    assert.equal(sink.of('result')[0]?.decision.outcome, 'cancelled');
    await assert.rejects(e.get(r.id), (err: unknown) => err instanceof FacegateError && err.code === 'session_closed');
  });

  it('a sink that throws does not break the session', async (t) => {
    const { e } = engine();
    t.after(() => e.close());
    const r = await e.create({
      kind: 'identification',
      sink: {
        send() {
          throw new Error('data channel closed');
        },
      },
    });
    await e.pushObservation(r.id, obs(1000));
    assert.equal((await e.get(r.id)).state, 'capturing');
  });
});

describe('clocks and store', () => {
  it('ManualClock.advance() fires due timers in order and not cancelled ones', () => {
    const c = new ManualClock();
    const fired: number[] = [];
    c.setTimer(30, () => fired.push(30));
    c.setTimer(10, () => fired.push(10));
    const cancel = c.setTimer(20, () => fired.push(20));
    cancel();
    c.advance(25);
    assert.deepEqual(fired, [10]);
    assert.equal(c.now(), 25);
    c.advance(10);
    assert.deepEqual(fired, [10, 30]);
    assert.throws(() => c.advance(-1), TypeError);
  });

  it('SystemClock.setTimer() fires after the delay and its cancel stops it', async () => {
    const c = new SystemClock();
    // Engine timers are unref'd by design; hold the loop open while we wait on them.
    const keep = setTimeout(() => undefined, 5000);
    let fired = 0;
    const t0 = c.now();
    await new Promise<void>((res) => c.setTimer(20, () => res()));
    assert.ok(c.now() - t0 >= 15);
    const cancel = c.setTimer(5, () => fired++);
    cancel();
    await new Promise((res) => setTimeout(res, 20));
    clearTimeout(keep);
    assert.equal(fired, 0);
  });

  it('InMemorySessionStore.get() forgets a record after its TTL', async () => {
    const c = new ManualClock();
    const s = new InMemorySessionStore(c);
    const rec = { id: 'a', kind: 'identification' as const, state: 'created' as const, createdAt: 0, expiresAt: 100, attempts: 0, rttMs: 0 };
    await s.put(rec, 100);
    assert.equal((await s.get('a'))?.id, 'a');
    c.advance(100);
    assert.equal(await s.get('a'), undefined);
    await assert.rejects(s.put(rec, 0), TypeError);
    await s.close();
    await assert.rejects(s.put(rec, 10), /closed/);
  });

  it('InMemoryGallery.search() ranks by cosine and compare() of an unknown subject is null', async () => {
    const g = new InMemoryGallery(4);
    await g.add('a', Float32Array.from([1, 0, 0, 0]));
    await g.add('b', Float32Array.from([0.6, 0.8, 0, 0]));
    const r = await g.search(Float32Array.from([0, 1, 0, 0]), 2);
    assert.deepEqual(r.map((m) => m.subjectId), ['b', 'a']);
    assert.ok(Math.abs(r[0]!.similarity - 0.8) < 1e-6);
    assert.equal(await g.compare('zz', Float32Array.from([1, 0, 0, 0])), null);
    await assert.rejects(g.add('c', new Float32Array(3)), TypeError);
    assert.equal(await g.remove('a'), true);
    assert.equal(await g.size(), 1);
  });
});

describe('LivenessEngine logging', () => {
  it('create() logs the decision with outcome and timings in fields, no scores or embeddings', async () => {
    const { default: pino } = await import('pino');
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
    const clock = new ManualClock(0);
    const e = new LivenessEngine({ gallery: new InMemoryGallery(), clock, log });
    const r = await e.create({ kind: 'identification', sink: new RecordingSink() });
    await e.cancel(r.id);
    await e.close();
    const decided = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'liveness session decided');
    assert.ok(decided, lines.join(''));
    assert.equal(decided.sessionId, r.id);
    assert.equal(decided.outcome, 'cancelled');
    assert.ok(!lines.join('').includes('embedding') && !lines.join('').includes('spoofScore'));
  });
});
