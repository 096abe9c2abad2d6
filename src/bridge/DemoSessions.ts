// The demo kiosk's session source (POST /demo/session, see
// signaling/sdkRouter.ts). DEMO ONLY: anyone who can reach the route gets a
// session, so config enables it by default only when HOST is loopback
// (FACEGATE_DEMO=auto). It creates one demo client on first use (found again
// by name after a restart). Each visitor is its own demo subject: a random
// external user id bound to a short-lived visitor credential (subject, expiry
// and an HMAC under a per-process secret; the router keeps it in an HttpOnly
// cookie). A visitor gets an enrollment session for its subject until that
// subject is enrolled, then authentication sessions; without a valid
// credential it gets a fresh subject. So visitor A's failures never lock out
// visitor B, and nobody can enrol over, or verify as, another visitor. Each
// visitor (IP) gets at most perIpPerMinute sessions (rate-limiter-flexible):
// every session is a permanent audit row, so an unthrottled route fills the
// log; a refusal is a typed rate_limit_exceeded.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { FacegateError } from '../../common/errors.ts';
import type { SessionService } from '../sessions/SessionService.ts';
import type { Store } from '../store/Store.ts';
import type { TenantService } from '../tenants/TenantService.ts';

export const DEMO_CLIENT_NAME = 'facegate demo kiosk (loopback only)';
/** How long a visitor credential binds a visitor to its demo subject. */
export const DEMO_VISITOR_TTL_S = 3600;

export interface DemoSession {
  readonly token: string;
  readonly sessionId: string;
  readonly kind: 'enrollment' | 'authentication';
  /** The visitor's demo subject (the session's external user id). */
  readonly subject: string;
  /** The visitor credential to present next time (renewed on every session). */
  readonly visitor: string;
  /** When `visitor` stops binding the subject. */
  readonly visitorExpires: Date;
}

export class DemoSessions {
  readonly #store: Store;
  readonly #tenants: TenantService;
  readonly #sessions: SessionService;
  readonly #perIp: RateLimiterMemory;
  readonly #secret = randomBytes(32);
  #clientId: Promise<string> | null = null;

  constructor(deps: { store: Store; tenants: TenantService; sessions: SessionService; perIpPerMinute?: number }) {
    this.#store = deps.store;
    this.#tenants = deps.tenants;
    this.#sessions = deps.sessions;
    this.#perIp = new RateLimiterMemory({ keyPrefix: 'demo', points: deps.perIpPerMinute ?? 10, duration: 60 });
  }

  /** A fresh session for the visitor at `ip` holding credential `visitor` (a new subject when absent or invalid). */
  async next(ip: string, visitor?: string): Promise<DemoSession> {
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
    const subject = this.subjectOf(visitor) ?? `demo-${randomUUID()}`;
    const enrolled = (await this.#store.getUser(clientId, subject)) !== null;
    const kind = enrolled ? 'authentication' : 'enrollment';
    // The demo client's policy offers the no-gesture path to a user who asks for it on the page.
    const rec = await this.#sessions.create({ clientId, kind, externalUserId: subject, ipHash: null, settings: { no_gesture_path: 'step_up' } });
    const expires = Math.floor(Date.now() / 1000) + DEMO_VISITOR_TTL_S;
    return { token: rec.token, sessionId: rec.id, kind, subject, visitor: `${subject}.${expires}.${this.#sign(subject, expires)}`,
      visitorExpires: new Date(expires * 1000),
    };
  }

  /** The subject a visitor credential binds, or null when it is malformed, forged or expired. */
  subjectOf(visitor: string | undefined): string | null {
    const m = /^(demo-[0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(visitor ?? '');
    if (m === null) return null;
    const [, subject, exp, sig] = m as unknown as [string, string, string, string];
    const expires = Number(exp);
    if (expires * 1000 <= Date.now()) return null;
    const want = Buffer.from(this.#sign(subject, expires));
    const got = Buffer.from(sig);
    return got.length === want.length && timingSafeEqual(got, want) ? subject : null;
  }

  #sign(subject: string, expires: number): string {
    return createHmac('sha256', this.#secret).update(`${subject}.${expires}`).digest('base64url');
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
