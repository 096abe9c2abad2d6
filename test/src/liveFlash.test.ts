// Closed loop through the real composition: the colour-flash challenge on the
// live WebRTC path. A werift publisher (SyntheticPublisher) joins through
// signaling and sends a genuine clip whose face is lit, frame by frame, by the
// colour a simulated page paints (media/FlashResponder.ts: painted on receipt
// of the data-channel prompt, seen by the camera 120 ms later). The node's
// engines draw a colour flash as every session's challenge (live semantics:
// random delays, the send time stamped by the bridge, RTT from the data
// channel's ping/pong, a retry after a failure). A face that reflects the
// sequence passes; one that ignores it, reflects another random sequence, or
// reflects it 900 ms late fails with challenge_failed and the flash score in
// the decision.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Box, RawFrame } from '../../models/types.ts';
import { FlashResponder, type ReflectionMode } from '../support/FlashResponder.ts';
import type { RtpClipPacket } from '../support/rtpClip.ts';
import { litVariants } from '../support/screenLight.ts';
import { SyntheticPublisher } from '../support/SyntheticPublisher.ts';
import type { FacegateNode } from '../../src/FacegateNode.ts';
import { DemoVisitor } from '../support/demoVisitor.ts';
import { decodeClip } from '../../scripts/eval/lib/decodeClip.ts';
import type { Decision } from '../../src/engine/index.ts';
import { FLASH_PALETTE } from '../../src/engine/signals/colorFlash.ts';
import { startFlashNode, type FlashNode } from './flashNode.ts';
import { joinSignaling } from './joinSignaling.ts';

const CLIP = new URL('../../../shared/video/genuine/liveportrait_d0.mp4', import.meta.url).pathname;
/** Display scan-out plus camera exposure and readout: a typical webcam. */
const CAMERA_LATENCY_MS = 120;

interface StatusView {
  status: string;
  decision: { outcome: string; reason: string | null; external_user_id: string | null; scores: Record<string, number> } | null;
}

interface Run {
  readonly view: StatusView;
  readonly decision: Decision | undefined;
  readonly responder: FlashResponder;
  readonly firstFrameToVerdictMs: number | null;
}

describe('live path colour flash, closed loop', { timeout: 240_000, skip: existsSync(CLIP) ? false : 'needs ../shared' }, () => {
  let fixture: FlashNode;
  let node: FacegateNode;
  // One demo visitor for the whole suite: it enrols first, then authenticates.
  let demoVisitor: DemoVisitor | undefined;
  const visitor = (): DemoVisitor => (demoVisitor ??= new DemoVisitor(node.url));
  let decisions: Decision[];
  let variants: RtpClipPacket[][];

  before(async () => {
    fixture = await startFlashNode({ tmpPrefix: 'facegate-flash-' });
    ({ node, decisions } = fixture);
    const analyzer = fixture.analyzer;
    // 6 s of the clip at 15 fps and the pipeline's 4:3 size, the face box of
    // every frame from the real detector, lit by each palette colour.
    const frames: { frame: RawFrame; box: Box | null }[] = [];
    for await (const { frame } of decodeClip(CLIP, { fps: 15, maxSeconds: 6, size: { width: 640, height: 480 } })) {
      const r = await analyzer.analyze(frame, { stages: [] });
      frames.push({ frame, box: r.faces[0]?.box ?? null });
    }
    variants = await litVariants({ frames, fps: 15, colors: FLASH_PALETTE, gain: 0.2, codec: 'VP8' });
  });

  after(async () => {
    await fixture?.close();
  });

  const status = async (token: string): Promise<StatusView> => {
    const res = await fetch(`${node.url}/api/auth/session/${token}/status`);
    assert.equal(res.status, 200);
    return (await res.json()) as StatusView;
  };

  async function run(mode: ReflectionMode): Promise<Run> {
    const token = await visitor().session();
    const before = decisions.length;
    const responder = new FlashResponder({ colors: FLASH_PALETTE, mode, cameraLatencyMs: CAMERA_LATENCY_MS });
    const { signaling, stop } = await joinSignaling(node.url, token);
    const [base, ...lit] = variants;
    const publisher = new SyntheticPublisher(signaling, {
      codec: 'VP8',
      packets: base!,
      variants: lit,
      selectVariant: (t) => responder.variantAt(t),
    });
    publisher.onMessage((m) => responder.onMessage(m));
    try {
      await publisher.start();
      const end = Date.now() + 40_000;
      let view = await status(token);
      while (view.decision === null && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 200));
        view = await status(token);
      }
      const decision = decisions.slice(before).find((d) => d.outcome !== 'cancelled');
      return { view, decision, responder, firstFrameToVerdictMs: decision?.timings.firstFrameToVerdictMs ?? null };
    } finally {
      publisher.close();
      stop();
    }
  }

  const flashValues = (r: Run): string => JSON.stringify({ reason: r.decision?.reason, flash: r.decision?.signals.color_flash, timings: r.decision?.timings.challenges });

  it('a face that reflects the painted sequence passes the flash and enrols the demo user', async () => {
    const r = await run('reflect');
    assert.equal(r.view.status, 'succeeded', flashValues(r));
    assert.equal(r.view.decision?.external_user_id, visitor().subject);
    assert.equal(r.responder.asked.length, 1, 'one colour sequence reached the page');
    assert.equal(r.responder.asked[0]!.length, 5);
    const f = r.decision!.signals.color_flash;
    assert.equal(f.evaluated, true);
    assert.equal(f.passed, true, flashValues(r));
    assert.equal(typeof r.view.decision?.scores['color_flash'], 'number');
    // The lag found is the simulated camera latency, on top of half the measured RTT.
    const latency = f.values['latencyMs'] as number;
    assert.ok(Math.abs(latency - CAMERA_LATENCY_MS) <= 120, flashValues(r));
    console.log(`flash reflect: ${flashValues(r)} firstFrameToVerdictMs=${r.firstFrameToVerdictMs}`);
  });

  for (const mode of ['ignore', 'other', 'late'] as const) {
    it(`a face that ${mode === 'ignore' ? 'ignores the colours' : mode === 'other' ? 'reflects another random sequence' : 'reflects the sequence 900 ms late'} fails with challenge_failed and the flash score in the decision`, async () => {
      const r = await run(mode);
      assert.equal(r.view.status, 'failed', flashValues(r));
      assert.equal(r.view.decision?.reason, 'challenge_failed', flashValues(r));
      const f = r.decision!.signals.color_flash;
      assert.equal(f.evaluated, true);
      assert.equal(f.passed, false);
      assert.equal(typeof r.view.decision?.scores['color_flash'], 'number');
      // Both attempts were flashes with fresh colours (the retry draws a new sequence).
      assert.equal(r.responder.asked.length, 2, flashValues(r));
      assert.notDeepEqual(r.responder.asked[0], r.responder.asked[1]);
      console.log(`flash ${mode}: ${flashValues(r)}`);
    });
  }

  it('after the failures, the same person reflecting the sequence authenticates (1:1)', async () => {
    const r = await run('reflect');
    assert.equal(r.view.status, 'succeeded', flashValues(r));
    assert.equal(r.view.decision?.external_user_id, visitor().subject);
    console.log(`flash reflect (auth): ${flashValues(r)} firstFrameToVerdictMs=${r.firstFrameToVerdictMs}`);
  });
});
