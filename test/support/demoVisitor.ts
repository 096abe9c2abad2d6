// One visitor of the demo kiosk, as a browser is: it keeps the facegate_demo
// cookie POST /demo/session sets and sends it back, so every session it gets
// is for its own demo subject (enrolment first, then authentication).
import assert from 'node:assert/strict';

export class DemoVisitor {
  readonly #url: string;
  #cookie: string | null = null;
  #subject: string | null = null;

  constructor(url: string) {
    this.#url = url;
  }

  /** The visitor's demo subject (the external user id of its sessions); set by the first session. */
  get subject(): string {
    assert.ok(this.#subject, 'no demo session yet');
    return this.#subject;
  }

  /** A fresh demo session for this visitor: its token. */
  async session(): Promise<string> {
    const res = await fetch(`${this.#url}/demo/session`, { method: 'POST', headers: this.#cookie ? { cookie: this.#cookie } : {} });
    assert.equal(res.status, 200, await res.clone().text());
    const set = res.headers.getSetCookie().find((c) => c.startsWith('facegate_demo='));
    assert.ok(set, 'the demo route sets the visitor cookie');
    this.#cookie = set.split(';')[0]!;
    const body = (await res.json()) as { token: string; subject: string };
    if (this.#subject !== null) assert.equal(body.subject, this.#subject, 'the same visitor keeps its subject');
    this.#subject = body.subject;
    return body.token;
  }
}
