// encoder: whether the publisher's RTP parameters look like the browser its
// user agent names. Every browser that mediasoup-client drives negotiates
// sender-side bandwidth estimation (the transport-wide-cc or abs-send-time
// header extension); a publisher built on a bare RTP stack (a script, a
// GStreamer or ffmpeg pipeline, a werift peer) that claims to be a browser
// usually does not, and one that names no browser at all is no page. The
// fingerprint hash is reported so an operator can group sessions by stack.
// A real browser relaying an injected track passes this check.
import type { InjectionScorer } from './types.ts';
import { notScored } from './types.ts';

const BROWSER_UA = /\b(Chrome|Chromium|Firefox|Safari|Edg|OPR)\//;
const BWE_EXTENSIONS = [/transport-wide-cc/i, /abs-send-time/i];

export const encoderSignal: InjectionScorer = {
  name: 'encoder',
  score(facts) {
    const e = facts.encoder;
    if (e === null) return notScored();
    const values = { mimeType: e.mimeType, hash: e.hash, headerExtensions: e.headerExtensions.length, userAgent: (e.userAgent ?? '').slice(0, 120) || null };
    if (e.userAgent === null) return { evaluated: true, score: 0.5, why: 'no_user_agent', values };
    if (!BROWSER_UA.test(e.userAgent)) return { evaluated: true, score: 0.7, why: 'not_a_browser', values };
    if (!e.headerExtensions.some((uri) => BWE_EXTENSIONS.some((p) => p.test(uri)))) return { evaluated: true, score: 0.8, why: 'browser_claim_without_browser_rtp', values };
    return { evaluated: true, score: 0, why: null, values };
  },
};
