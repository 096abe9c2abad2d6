// Runs recorded observations through LivenessEngine sessions with a fixed
// challenge schedule, on a ManualClock driven by the frames' capture times.
// Shared by scripts/eval/liveness.ts and the tests so both measure the same path.
import type { PlannedChallenge } from '../../../src/engine/challengePlan.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { LivenessEngine } from '../../../src/engine/LivenessEngine.ts';
import type { SessionOptions } from '../../../src/engine/options.ts';
import { ManualClock } from '../../../src/engine/ManualClock.ts';
import type { ObservationTape } from './ObservationTape.ts';
import type { Decision, EngineMessage, EngineMode } from '../../../src/engine/types.ts';

/** Schedules a recording can contain (it cannot answer random prompts). */
const BLINK: readonly PlannedChallenge[] = Object.freeze([{ kind: 'blink', delayMs: 0, windowMs: 30_000 }]);
const TURN: readonly PlannedChallenge[] = Object.freeze([{ kind: 'turn_any', delayMs: 0, windowMs: 30_000 }]);
export const CLIP_SCHEDULES: Readonly<Record<'blink' | 'turn', readonly PlannedChallenge[]>> = Object.freeze({ blink: BLINK, turn: TURN });

export interface ClipRunOptions {
  readonly session?: Partial<SessionOptions>;
  readonly kind?: EngineMode;
  readonly subjectId?: string;
  /** Matched against, and committed to on a succeeded enrollment (the engine never writes it). */
  readonly gallery?: InMemoryGallery;
}

export interface ClipRun {
  readonly decision: Decision;
  readonly messages: readonly EngineMessage[];
}

/** One session over the tape with `schedule`; the session fails when the tape ends first. */
export async function runTape(tape: ObservationTape, schedule: readonly PlannedChallenge[], options: ClipRunOptions = {}): Promise<ClipRun> {
  const clock = new ManualClock(0);
  const gallery = options.gallery ?? new InMemoryGallery();
  const engine = new LivenessEngine({
    gallery,
    clock,
    session: { ...options.session },
  });
  const messages: EngineMessage[] = [];
  let decision: Decision | undefined;
  const sink = {
    send(m: EngineMessage): void {
      messages.push(m);
      if (m.type === 'result') decision = m.decision;
    },
  };
  try {
    const kind = options.kind ?? 'enrollment';
    const rec = await engine.create({
      kind,
      ...(kind !== 'identification' ? { subjectId: options.subjectId ?? 'clip-subject' } : {}),
      sink,
      fixedSchedule: schedule,
    });
    await engine.connect(rec.id);
    let last = 0;
    for await (const obs of tape.replay()) {
      clock.set(obs.t);
      last = obs.t;
      await engine.pushObservation(rec.id, obs);
      if (decision) break;
    }
    // The recording ended: let deadlines pass as they would with a silent camera.
    if (!decision) clock.set(last + Math.max(...schedule.map((s) => s.windowMs), 0) + 10_000);
    if (!decision) await engine.cancel(rec.id);
    // The caller's commit, as the service makes it once the verdict is in.
    if (decision) await gallery.commit(decision);
    return { decision: decision!, messages };
  } finally {
    await engine.close();
  }
}
