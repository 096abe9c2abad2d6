// The REST fallback on the liveness engine: implements the service's
// SessionEngine seam by running each uploaded frame through the client's
// LivenessEngine session (the same state machine, challenges and signals as
// the live path). Each call answers 'pending' with the prompts and challenges
// the engine issued (so the client can answer them) or 'decided' with the
// verdict and its per-signal scores. Engine sessions live in this process:
// with several nodes, AffinityFrameEngine sends each upload to the node that
// took the session's first frame.
import { FacegateError } from '../../common/errors.ts';
import { toClientMessage, type EngineMessage, type LivenessEngine } from '../engine/index.ts';
import type { EnginePrompt, FrameInput, FrameStep, SessionEngine } from '../sessions/SessionEngine.ts';
import type { SessionRecord } from '../../common/session.ts';
import type { ClientEngines } from './ClientEngines.ts';
import { liveSessionSpec } from './liveSessionSpec.ts';
import { decidedStep } from './decidedStep.ts';

interface Open {
  readonly engine: LivenessEngine;
  readonly id: string;
  readonly expiresAt: number;
  /** Messages the engine sent since the last frame (timers may add some between uploads). */
  inbox: EngineMessage[];
}

export class LivenessFrameEngine implements SessionEngine {
  readonly #engines: ClientEngines;
  readonly #open = new Map<string, Open>();
  /** Engine sessions being created: two first uploads at once must not both create one. */
  readonly #starting = new Map<string, Promise<Open>>();

  constructor(engines: ClientEngines) {
    this.#engines = engines;
  }

  /** Engine sessions opened by uploads and not decided yet. */
  get openCount(): number {
    return this.#open.size;
  }

  async processFrame(session: SessionRecord, input: FrameInput): Promise<FrameStep> {
    // Decoded first: a bad image is its typed error and opens no engine session.
    const frame = await input.pixels();
    this.#sweep();
    const o = this.#open.get(session.id) ?? (await this.#startOnce(session));
    const t0 = performance.now();
    let pushed = false;
    if (!hasResult(o.inbox)) {
      try {
        pushed = await o.engine.pushFrame(o.id, frame, o.engine.clock.now());
      } catch (e) {
        // The engine settled the session on a timer (challenge timeout, TTL) meanwhile; its result is in the inbox.
        if (!(e instanceof FacegateError && e.code === 'session_not_found' && hasResult(o.inbox))) throw e;
      }
    }
    const messages = o.inbox;
    o.inbox = [];
    const result = messages.find((m): m is Extract<EngineMessage, { type: 'result' }> => m.type === 'result');
    if (result !== undefined) {
      this.#open.delete(session.id);
      return decidedStep(result.decision);
    }
    const prompts: EnginePrompt[] = [];
    for (const m of messages) {
      const c = toClientMessage(m);
      if (c !== null && (c.type === 'prompt' || c.type === 'progress')) prompts.push(c);
    }
    const lastPrompt = prompts.filter((p) => p.type === 'prompt').at(-1);
    return {
      kind: 'pending',
      // 'frame_dropped': another upload of this session was still being analysed.
      feedback: !pushed ? 'frame_dropped' : lastPrompt?.type === 'prompt' ? lastPrompt.action : 'accepted',
      prompts,
      timings: { analyze: performance.now() - t0 },
    };
  }

  /** Ends the engine session of a cancelled service session (its timers and history); a no-op when none is open. */
  async cancel(session: SessionRecord): Promise<void> {
    const o = this.#open.get(session.id) ?? (await this.#starting.get(session.id)?.catch(() => undefined));
    if (o === undefined) return;
    this.#open.delete(session.id);
    await o.engine.cancel(o.id);
  }

  #startOnce(session: SessionRecord): Promise<Open> {
    let p = this.#starting.get(session.id);
    if (p === undefined) {
      p = this.#start(session).finally(() => this.#starting.delete(session.id));
      this.#starting.set(session.id, p);
    }
    return p;
  }

  async #start(session: SessionRecord): Promise<Open> {
    const engine = this.#engines.for(session.clientId);
    const spec = liveSessionSpec(session.kind, session.externalUserId);
    const o: Open = { engine, id: session.id, expiresAt: session.expiresAt, inbox: [] };
    await engine.create({
      ...spec,
      id: session.id,
      // An HTTP client cannot paint colour flashes on cue.
      flash: false,
      // Uploads come back-to-back or seconds apart: their analysis schedule counts frames.
      uploaded: true,
      sink: { send: (m) => void o.inbox.push(m) },
    });
    await engine.connect(session.id);
    this.#open.set(session.id, o);
    return o;
  }

  /** Forgets sessions the service let expire or cancelled (the engine's own TTL ends them there). */
  #sweep(): void {
    const now = Date.now();
    for (const [id, o] of this.#open) if (o.expiresAt <= now) this.#open.delete(id);
  }
}

function hasResult(messages: readonly EngineMessage[]): boolean {
  return messages.some((m) => m.type === 'result');
}
