// The publisher process of bench:capacity (full-node path): werift peers that
// publish real face clips to one node the way a browser does, so their SRTP
// and JS cost stays off the node's event loop and CPU figures.
//
// stdin, one command per line:
//   clips <file>[|<file>...]        encode the clips (VP8, 640x480, 15 fps, 6 s), answer "ready"
//   step <url> <apiKey> <n> <ms>    n publishing slots for ms: each slot creates an enrollment
//                                   session, joins it over socket.io, publishes a clip (slot i
//                                   starts on clip i) until the session's result arrives on the
//                                   data channel (or 30 s), deletes it and opens the next one on the
//                                   next clip; answers one JSON line (StepReport)
//   quit
// Bounded: every slot stops at the step's deadline; each request has a time limit.
import { createInterface } from 'node:readline';
import { encodeRtpClip, type RtpClipPacket } from '../../test/support/rtpClip.ts';
import { SyntheticPublisher } from '../../test/support/SyntheticPublisher.ts';
import { SignalingClient } from '../../test/signaling/liveServer.ts';

/** What the child answers for one step. */
export interface StepReport {
  readonly sessions: number;
  readonly decided: number;
  /** Session created (REST) -> its first prompt on the data channel, ms. */
  readonly firstPromptMs: readonly number[];
  readonly errors: number;
  readonly lastError: string | null;
}

const PUBLISH_FPS = 15;
const SESSION_MAX_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function api(url: string, method: string, token: string | null, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Tally {
  sessions: number;
  decided: number;
  readonly firstPromptMs: number[];
  errors: number;
  lastError: string | null;
}

function fail(t: Tally, what: string): void {
  t.errors++;
  t.lastError = what.slice(0, 300);
}

async function slot(url: string, token: string, clips: readonly (readonly RtpClipPacket[])[], first: number, until: number, t: Tally): Promise<void> {
  for (let k = first; Date.now() < until; k++) {
    const created = Date.now();
    const s = await api(`${url}/api/auth/enrollment`, 'POST', token, { external_user_id: `capacity-${process.pid}-${created}-${k}` }).catch((e: unknown) => ({ status: 0, body: { error: String(e) } as Record<string, unknown> }));
    if (s.status !== 201) {
      fail(t, `session: ${s.status} ${JSON.stringify(s.body)}`);
      await sleep(500);
      continue;
    }
    const sessionToken = String(s.body.session_token);
    let client: SignalingClient | undefined;
    let publisher: SyntheticPublisher | undefined;
    let beat: NodeJS.Timeout | undefined;
    try {
      client = await SignalingClient.connect(url);
      const c = client;
      beat = setInterval(() => void c.request('heartbeat', {}).catch(() => undefined), 2000);
      publisher = new SyntheticPublisher(await client.join(sessionToken), { codec: 'VP8', packets: clips[k % clips.length]! });
      let prompted = false;
      const decided = new Promise<void>((resolve) => {
        publisher!.onMessage((m) => {
          if (m.type === 'prompt' && !prompted) {
            prompted = true;
            t.firstPromptMs.push(Date.now() - created);
          }
          if (m.type === 'result') resolve();
        });
      });
      await publisher.start();
      t.sessions++;
      const end = Math.min(until, created + SESSION_MAX_MS);
      const settled = await Promise.race([decided.then(() => true), sleep(Math.max(0, end - Date.now())).then(() => false)]);
      if (settled) t.decided++;
    } catch (e) {
      fail(t, `live: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      clearInterval(beat);
      publisher?.close();
      client?.close();
    }
    await api(`${url}/api/auth/session/${sessionToken}`, 'DELETE', null).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  let clips: RtpClipPacket[][] = [];
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [cmd, ...rest] = line.trim().split(' ');
    if (cmd === 'quit') break;
    if (cmd === 'clips') {
      clips = [];
      for (const file of rest.join(' ').split('|')) {
        clips.push(await encodeRtpClip({ file, codec: 'VP8', seconds: 6, fps: PUBLISH_FPS, width: 640, height: 480, gop: PUBLISH_FPS * 2 }));
      }
      process.stdout.write('ready\n');
    } else if (cmd === 'step') {
      const [url, apiKey, n, ms] = rest;
      const t: Tally = { sessions: 0, decided: 0, firstPromptMs: [], errors: 0, lastError: null };
      try {
        const auth = await api(`${url}/api/auth/client`, 'POST', null, { api_key: apiKey });
        if (auth.status !== 200) throw new Error(`token exchange: ${auth.status} ${JSON.stringify(auth.body)}`);
        const token = String(auth.body.access_token);
        const until = Date.now() + Number(ms);
        await Promise.all(Array.from({ length: Number(n) }, (_, i) => slot(url!, token, clips, i, until, t)));
      } catch (e) {
        fail(t, e instanceof Error ? e.message : String(e));
      }
      const report: StepReport = t;
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
  }
  process.exit(0);
}

await main();
