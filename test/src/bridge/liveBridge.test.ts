// The live route's side channel: RTT reaches the engine as an event from the
// media session's observer (when it changes), not pushed with every frame;
// the sink stops listening when the session ends. The engine is the real
// LivenessEngine (no analyzer needed: no frames are pushed); the handle is a
// stand-in with the shape of media's LiveSessionHandle and a real EventEmitter.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { liveSinkFactory, type LiveHandle } from '../../../src/bridge/liveBridge.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { LivenessEngine, type CreateSessionInput } from '../../../src/engine/LivenessEngine.ts';
import type { EngineSessionRecord as SessionRecord } from '../../../src/engine/types.ts';
import type { ServerMessage as ClientMessage } from '../../../common/protocol/dataChannel.ts';

/** The real engine, remembering the sessions it created and which were told an RTT. */
class RttEngine extends LivenessEngine {
  readonly rtts: { id: string; rttMs: number }[] = [];
  readonly ids: string[] = [];
  override async create(input: CreateSessionInput): Promise<SessionRecord> {
    const rec = await super.create(input);
    this.ids.push(rec.id);
    return rec;
  }
  override setRtt(id: string, rttMs: number): void {
    super.setRtt(id, rttMs);
    this.rtts.push({ id, rttMs });
  }
}

function handle(rttMs: number | undefined): LiveHandle & { readonly sent: ClientMessage[]; readonly observer: EventEmitter } {
  const sent: ClientMessage[] = [];
  return { sessionId: 'live-rtt', rttMs, observer: new EventEmitter(), sent, send: (m) => (sent.push(m), true), close: async () => undefined };
}

const until = async (ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('liveSinkFactory() RTT', () => {
  it('an rtt event from the session observer reaches the engine session; after onEnd the sink no longer listens', async (t) => {
    const engine = new RttEngine({ gallery: new InMemoryGallery() });
    t.after(() => engine.close());
    const h = handle(60);
    const sink = liveSinkFactory(engine, { resolve: async () => ({ kind: 'identification' }) })(h);
    await until(() => engine.sessionCount === 1);
    assert.equal(engine.sessionCount, 1);
    const id = engine.ids[0]!;
    assert.equal((await engine.get(id)).rttMs, 60);
    assert.equal(engine.rtts.length, 0, 'the starting RTT goes in with the session, not as a push');
    h.observer.emit('rtt', 140);
    assert.deepEqual(engine.rtts, [{ id, rttMs: 140 }]);
    assert.equal((await engine.get(id)).rttMs, 140);
    sink.onEnd('client_left');
    assert.equal(h.observer.listenerCount('rtt'), 0);
    h.observer.emit('rtt', 300);
    assert.equal(engine.rtts.length, 1);
    await until(() => engine.sessionCount === 0);
    assert.equal(engine.sessionCount, 0);
  });

  it('an rtt announced while the engine session is being created is in the engine session once it exists', async (t) => {
    const engine = new RttEngine({ gallery: new InMemoryGallery() });
    t.after(() => engine.close());
    const h = handle(undefined);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sink = liveSinkFactory(engine, {
      resolve: async () => {
        await gate;
        return { kind: 'identification' };
      },
    })(h);
    (h as { rttMs: number | undefined }).rttMs = 90;
    h.observer.emit('rtt', 90);
    release();
    await until(() => engine.sessionCount === 1);
    assert.equal((await engine.get(engine.ids[0]!)).rttMs, 90);
    sink.onEnd('client_left');
  });
});
