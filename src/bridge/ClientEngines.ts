// One LivenessEngine per tenant, created on first use. Each client's engine
// matches through that client's read side of the TemplateGallery (encrypted
// store + FAISS), so a live session can only match against its own client's
// users; it never writes: the service commits a decided enrollment.
import type { Logger } from 'pino';
import type { FaceAnalyzerLike } from '../../models/types.ts';
import type { Config } from '../config.ts';
import type { TemplateGallery } from '../gallery/TemplateGallery.ts';
import { LivenessEngine, type LivenessEngineOptions } from '../engine/index.ts';
import { sessionOptionsFromConfig } from './sessionOptions.ts';

export interface ClientEnginesDeps {
  readonly config: Config;
  readonly analyzer: FaceAnalyzerLike;
  /** The templates' one owner; the engines get its per-client read side. */
  readonly templates: TemplateGallery;
  readonly log: Logger;
  /** Builds an engine (default: `new LivenessEngine`); tests pass one with a fixed challenge schedule. */
  readonly createEngine?: (options: LivenessEngineOptions) => LivenessEngine;
  /** Every engine's per-frame stats (the node's metrics). */
  readonly onFrame?: LivenessEngineOptions['onFrame'];
}

export class ClientEngines {
  readonly #deps: ClientEnginesDeps;
  readonly #engines = new Map<string, LivenessEngine>();
  #closed = false;

  constructor(deps: ClientEnginesDeps) {
    this.#deps = deps;
  }

  /** Live sessions across all clients. */
  get sessionCount(): number {
    let n = 0;
    for (const e of this.#engines.values()) n += e.sessionCount;
    return n;
  }

  /** The client's engine; its data key must already be loaded in the key ring. */
  for(clientId: string): LivenessEngine {
    if (this.#closed) throw new Error('ClientEngines is closed');
    let e = this.#engines.get(clientId);
    if (e === undefined) {
      const d = this.#deps;
      const options: LivenessEngineOptions = {
        gallery: d.templates.forClient(clientId),
        analyzer: d.analyzer,
        session: sessionOptionsFromConfig(d.config),
        log: d.log.child({ component: 'liveness', clientId }),
        ...(d.onFrame ? { onFrame: d.onFrame } : {}),
      };
      e = d.createEngine ? d.createEngine(options) : new LivenessEngine(options);
      this.#engines.set(clientId, e);
    }
    return e;
  }

  /** Cancels every live session of every client; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#engines.values()].map((e) => e.close()));
    this.#engines.clear();
  }
}
