// The engine's seams to the live path (liveSinkFactory) and the REST fallback
// (pushImage), with the real face analyzer; the media handle is a recording
// stand-in with the shape of media's LiveSessionHandle.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FaceAnalyzer } from '../../../models/FaceAnalyzer.ts';
import { isFacegateError } from '../../../common/errors.ts';
import { decodeClip } from '../../../scripts/eval/lib/decodeClip.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { liveSinkFactory, type LiveHandle } from '../../../src/bridge/liveBridge.ts';
import { LivenessEngine } from '../../../src/engine/LivenessEngine.ts';
import { LivenessSession } from '../../../src/engine/LivenessSession.ts';
import { toClientMessage } from '../../../src/engine/wire.ts';
import { parseServerMessage, type LivenessMessage, type ServerMessage } from '../../../common/protocol/dataChannel.ts';
import { obs, RecordingSink } from './fixtures.ts';

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared');
const present = existsSync(path.join(SHARED, 'video', 'genuine'));

describe('wire', () => {
  it('toClientMessage() sends prompts and a result without embeddings or templates', async () => {
    const sink = new RecordingSink();
    const s = new LivenessSession({ id: 'w', kind: 'enrollment', subjectId: 'u', createdAt: 0, plan: [{ kind: 'blink', delayMs: 100, windowMs: 3000 }] }, new InMemoryGallery(), sink);
    for (let t = 0; t < 4000 && !s.terminal; t += 100) await s.process(obs(t, { closed: t >= 900 && t < 1100 ? 0.95 : 0.05 }));
    assert.equal(s.decision?.outcome, 'succeeded');
    assert.ok(s.decision?.template);
    const out = sink.messages.map(toClientMessage).filter((m): m is LivenessMessage => m !== null);
    assert.deepEqual(out.map((m) => m.type), ['prompt', 'progress', 'result']);
    assert.equal(out[0]!.type === 'prompt' && out[0]!.action, 'blink');
    const result = out[2]!;
    assert.equal(result.type === 'result' && result.outcome, 'pass');
    const json = JSON.stringify(out);
    assert.ok(!json.includes('template') && !json.includes('embedding'), json);
  });

  it('toClientMessage() puts a colour-flash challenge\'s colours on the prompt, valid on the data channel schema', async () => {
    const sink = new RecordingSink();
    const s = new LivenessSession({ id: 'f', kind: 'identification', createdAt: 0, plan: [{ kind: 'color_flash', delayMs: 100, windowMs: 3000 }] }, new InMemoryGallery(), sink);
    for (let t = 0; t < 1000 && sink.of('challenge').length === 0; t += 100) await s.process(obs(t));
    const challenge = sink.of('challenge')[0]!;
    const out = toClientMessage(challenge);
    assert.equal(out?.type, 'prompt');
    const colors = out?.type === 'prompt' ? out.colors : undefined;
    assert.deepEqual(colors, challenge.challenge.colors!.map((c) => ({ rgb: [...c.rgb], startMs: c.startMs, durationMs: c.durationMs })));
    const parsed = parseServerMessage(JSON.stringify(out));
    assert.equal(parsed?.type === 'prompt' ? parsed.colors?.length : undefined, colors?.length);
  });
});

describe('engine seams with the real analyzer', { skip: present ? false : 'needs ../shared' }, () => {
  let analyzer: FaceAnalyzer;
  before(async () => {
    analyzer = await FaceAnalyzer.create({});
  });
  after(async () => {
    await analyzer?.close();
  });

  it('liveSinkFactory() opens a session, prompts a challenge over the handle and cancels when the client leaves', async (t) => {
    const engine = new LivenessEngine({ gallery: new InMemoryGallery(), analyzer });
    t.after(() => engine.close());
    const sent: ServerMessage[] = [];
    let closed = 0;
    const handle: LiveHandle = {
      sessionId: 'live-1',
      rttMs: 60,
      observer: new EventEmitter(),
      send: (m) => (sent.push(m), true),
      close: async () => {
        closed++;
      },
    };
    const errors: unknown[] = [];
    // Gate prompts ("look at the camera") share the type; a challenge's id is not gate:*.
    const isChallenge = (m: ServerMessage): boolean => m.type === 'prompt' && !m.id.startsWith('gate:');
    const sink = liveSinkFactory(engine, { resolve: async () => ({ kind: 'identification' }), onError: (e) => errors.push(e) })(handle);
    // Frames at the clip's own pace until the first challenge goes out. A live
    // blink or head-turn prompt waits for a quiet period (eyes open 900 ms, head
    // steady 1.5 s, at most 4 s) and this clip blinks at ~0.4 s and ~1.4 s, so the
    // prompt's time depends on the plan drawn: up to 8 s of clip, bounded.
    const start = Date.now();
    for await (const { frame, t } of decodeClip(path.join(SHARED, 'video', 'genuine', 'liveportrait_d9.mp4'), { maxSeconds: 8 })) {
      const wait = start + t - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await sink.onFrame({ image: frame, captureTimeMs: start + t });
      if (sent.some((m) => isChallenge(m) || m.type === 'result')) break;
    }
    assert.deepEqual(errors, []);
    const prompt = sent.find(isChallenge);
    assert.ok(prompt && prompt.type === 'prompt' && ['blink', 'turn_left', 'turn_right'].includes(prompt.action), JSON.stringify(sent));
    assert.equal(engine.sessionCount, 1);
    sink.onEnd('client_left');
    await new Promise((r) => setTimeout(r, 20));
    const result = sent.find((m) => m.type === 'result');
    assert.ok(result && result.type === 'result' && result.outcome === 'fail' && result.reason === 'cancelled');
    assert.equal(engine.sessionCount, 0);
    assert.equal(closed, 1);
  });

  it('pushImage() analyses an uploaded JPEG and rejects corrupt bytes with a typed error, keeping the session', async (t) => {
    const engine = new LivenessEngine({ gallery: new InMemoryGallery(), analyzer });
    t.after(() => engine.close());
    const rec = await engine.create({ kind: 'identification', sink: new RecordingSink() });
    const jpeg = new Uint8Array(readFileSync(path.join(SHARED, 'stills', 'silentface_image_T1.jpg')));
    assert.equal(await engine.pushImage(rec.id, jpeg, 0), true);
    assert.equal((await engine.get(rec.id)).state, 'capturing');
    await assert.rejects(engine.pushImage(rec.id, new Uint8Array([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]), 100), (e: unknown) => isFacegateError(e));
    assert.equal((await engine.get(rec.id)).state, 'capturing');
  });
});
