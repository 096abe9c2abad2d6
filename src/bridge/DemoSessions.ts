// The demo kiosk's session source (POST /demo/session, see
// signaling/sdkRouter.ts). DEMO ONLY: anyone who can reach the route gets a
// session, so config enables it by default only when HOST is loopback
// (FACEGATE_DEMO=auto). It creates one demo client on first use (found again
// by name after a restart) and hands out an enrollment session for the demo
// user until that user is enrolled, then authentication sessions. Each
// visitor (IP) gets at most perIpPerMinute sessions (rate-limiter-flexible):
// every session is a permanent audit row, so an unthrottled route fills the
// log; a refusal is a typed rate_limit_exceeded.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { FacegateError } from '../../common/errors.ts';
import type { SessionService } from '../sessions/SessionService.ts';
import type { Store } from '../store/Store.ts';
import type { TenantService } from '../tenants/TenantService.ts';

export const DEMO_CLIENT_NAME = 'facegate demo kiosk (loopback only)';
export const DEMO_USER_ID = 'demo-user';

export class DemoSessions {
  readonly #store: Store;
  readonly #tenants: TenantService;
  readonly #sessions: SessionService;
  readonly #perIp: RateLimiterMemory;
  #clientId: Promise<string> | null = null;

  constructor(deps: { store: Store; tenants: TenantService; sessions: SessionService; perIpPerMinute?: number }) {
    this.#store = deps.store;
    this.#tenants = deps.tenants;
    this.#sessions = deps.sessions;
    this.#perIp = new RateLimiterMemory({ keyPrefix: 'demo', points: deps.perIpPerMinute ?? 10, duration: 60 });
  }

  /** A fresh session for the demo user, for the visitor at `ip`: its token and kind. */
  async next(ip: string): Promise<{ token: string; sessionId: string; kind: 'enrollment' | 'authentication' }> {
    try {
      await this.#perIp.consume(ip);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      throw new FacegateError('rate_limit_exceeded', 'too many demo sessions from this address; retry later', {
        scope: 'ip',
        retryAfterS: Math.max(1, Math.ceil(e.msBeforeNext / 1000)),
      });
    }
    const clientId = await this.clientId();
    const enrolled = (await this.#store.getUser(clientId, DEMO_USER_ID)) !== null;
    const kind = enrolled ? 'authentication' : 'enrollment';
    const rec = await this.#sessions.create({ clientId, kind, externalUserId: DEMO_USER_ID, ipHash: null });
    return { token: rec.token, sessionId: rec.id, kind };
  }

  /** The demo client's id, created once. */
  clientId(): Promise<string> {
    this.#clientId ??= (async () => {
      const existing = (await this.#store.listClients()).find((c) => c.name === DEMO_CLIENT_NAME);
      const id = existing ? existing.id : (await this.#tenants.createClient(DEMO_CLIENT_NAME)).clientId;
      await this.#tenants.loadClientKey(id);
      return id;
    })();
    this.#clientId.catch(() => {
      this.#clientId = null;
    });
    return this.#clientId;
  }
}
