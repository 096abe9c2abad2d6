// scoreFlash() on recorded frames: a genuine clip's frames, the face lit by a
// simulated screen (media/screenLight.ts) per a colour sequence, read back
// through the same skin-patch measurement the engine uses (measureArtefacts)
// with the face boxes of the real detector. The reflection passes; no
// reflection, a wrong guess, a wrong order and a late reflection fail.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FaceAnalyzer } from '../../../models/FaceAnalyzer.ts';
import type { Box, RawFrame } from '../../../models/types.ts';
import { lightFace } from '../../support/screenLight.ts';
import { decodeClip } from '../../../scripts/eval/lib/decodeClip.ts';
import { measureArtefacts } from '../../../src/engine/signals/artefacts.ts';
import { generateFlashSequence, scoreFlash, type FlashScore } from '../../../src/engine/signals/colorFlash.ts';
import type { ColorStep } from '../../../src/engine/types.ts';

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared');
const CLIP = path.join(SHARED, 'video', 'genuine', 'liveportrait_d13.mp4');

const seeded = (seed: number) => {
  let s = seed;
  return (max: number): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.floor((s / 2147483648) * max);
  };
};

describe('scoreFlash() on recorded frames lit by a simulated screen', { skip: existsSync(CLIP) ? false : 'needs ../shared' }, () => {
  const frames: { frame: RawFrame; box: Box | null; t: number }[] = [];
  const SENT = 500; // the prompt leaves 500 ms into the clip
  const RTT = 40;

  before(async () => {
    const analyzer = await FaceAnalyzer.create();
    try {
      for await (const { frame, t } of decodeClip(CLIP, { fps: 10, maxSeconds: 3.5 })) {
        const r = await analyzer.analyze(frame, { stages: [] });
        frames.push({ frame, box: r.faces[0]?.box ?? null, t });
      }
    } finally {
      await analyzer.close();
    }
    assert.ok(frames.filter((f) => f.box !== null).length >= 30, 'the clip shows a face');
  });

  /** Skin samples of the clip with the face lit by `shown` from SENT + rtt/2 + latencyMs. */
  function samples(shown: readonly ColorStep[] | null, latencyMs: number, gain = 0.2): { t: number; rgb: [number, number, number] }[] {
    return frames.flatMap(({ frame, box, t }) => {
      if (box === null) return [];
      const rel = t - SENT - RTT / 2 - latencyMs;
      const step = shown?.find((c) => rel >= c.startMs && rel < c.startMs + c.durationMs);
      const lit: RawFrame = { data: lightFace(frame, box, step?.rgb ?? null, gain), width: frame.width, height: frame.height, stride: frame.width * 3, format: 'rgb24' };
      return [{ t, rgb: [...measureArtefacts(lit, box).sample.skinRgb] as [number, number, number] }];
    });
  }

  const seq = generateFlashSequence({ steps: 5, stepMs: 300, randomInt: seeded(5) });
  const score = (shown: readonly ColorStep[] | null, latencyMs: number, gain?: number): FlashScore => scoreFlash(samples(shown, latencyMs, gain), seq, SENT, RTT);

  it('passes the face lit in step with the sequence, 150 ms of display and camera latency after receipt', () => {
    const s = score(seq, 150);
    assert.equal(s.passed, true, JSON.stringify(s));
    assert.equal(s.stepsMatched, 5);
    assert.ok(s.correlation > 0.85, JSON.stringify(s));
    assert.ok(Math.abs(s.lagMs - RTT / 2 - 150) <= 100, JSON.stringify(s));
  });

  it('passes a dimmer screen (gain 0.08) too', () => {
    assert.equal(score(seq, 100, 0.08).passed, true);
  });

  it('fails the same frames unlit (a replay or a screen held to the camera)', () => {
    const s = score(null, 150);
    assert.equal(s.passed, false, JSON.stringify(s));
  });

  it('fails a face lit by another random sequence of the same colours', () => {
    let tried = 0;
    for (let seed = 100; tried < 5; seed++) {
      const other = generateFlashSequence({ steps: 5, stepMs: 300, randomInt: seeded(seed) });
      if (other.filter((c, i) => c.rgb !== seq[i]!.rgb).length < 2) continue;
      tried++;
      const s = score(other, 150);
      assert.equal(s.passed, false, `seed ${seed}: ${JSON.stringify(s)}`);
    }
  });

  it('fails the right colours in the wrong order (reversed)', () => {
    const reversed = seq.map((c, i) => ({ ...c, rgb: seq[seq.length - 1 - i]!.rgb }));
    const s = score(reversed, 150);
    assert.equal(s.passed, false, JSON.stringify(s));
  });

  it('fails the right sequence reflected 900 ms late (beyond any display and camera latency)', () => {
    const s = score(seq, 900);
    assert.equal(s.passed, false, JSON.stringify(s));
  });
});

