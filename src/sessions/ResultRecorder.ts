// SessionObserver that writes each decided session's outcome to the store
// (session_results), which the analytics endpoint aggregates.
import type { Logger } from 'pino';
import type { Store } from '../store/Store.ts';
import type { SessionObserver } from './SessionService.ts';
import { isTerminal, type SessionRecord } from '../../common/session.ts';

export class ResultRecorder implements SessionObserver {
  readonly #store: Store;
  readonly #log: Logger;

  constructor(store: Store, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  async onDecided(s: SessionRecord): Promise<void> {
    const outcome = isTerminal(s.status) ? s.status : 'failed';
    try {
      await this.#store.recordSessionResult({
        id: s.id,
        clientId: s.clientId,
        kind: s.kind,
        outcome,
        reason: s.decision?.reason ?? null,
        latencyMs: (s.decision?.decidedAt ?? Date.now()) - s.createdAt,
      });
    } catch (e) {
      this.#log.warn({ err: e, sessionId: s.id }, 'could not record session result');
    }
  }
}
