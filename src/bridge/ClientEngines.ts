// One LivenessEngine per tenant, created on first use. The engine takes a
// single subject Gallery; each client's is a ClientGalleryView over the
// encrypted store + FAISS, so a live session can only enrol into and match
// against its own client's users.
import type { Logger } from 'pino';
import type { FaceAnalyzerLike } from '../../models/types.ts';
import type { Config } from '../config.ts';
import type { KeyRing } from '../crypto/KeyRing.ts';
import { ClientGalleryView, type GalleryChangeListener } from '../gallery/ClientGalleryView.ts';
import type { Gallery } from '../gallery/Gallery.ts';
import { LivenessEngine, type LivenessEngineOptions } from '../engine/index.ts';
import { sessionOptionsFromConfig } from './sessionOptions.ts';
import type { Store } from '../store/Store.ts';

export interface ClientEnginesDeps {
  readonly config: Config;
  readonly analyzer: FaceAnalyzerLike;
  readonly store: Store;
  readonly gallery: Gallery;
  readonly keys: KeyRing;
  /** Tells other nodes about templates the engine enrolled (their FAISS indexes follow). */
  readonly publishGalleryChange?: GalleryChangeListener;
  readonly log: Logger;
  /** Builds an engine (default: `new LivenessEngine`); tests pass one with a fixed challenge schedule. */
  readonly createEngine?: (options: LivenessEngineOptions) => LivenessEngine;
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
        gallery: new ClientGalleryView(clientId, {
          store: d.store,
          gallery: d.gallery,
          keys: d.keys,
          ...(d.publishGalleryChange ? { onChange: d.publishGalleryChange } : {}),
        }),
        analyzer: d.analyzer,
        session: sessionOptionsFromConfig(d.config),
        log: d.log.child({ component: 'liveness', clientId }),
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
