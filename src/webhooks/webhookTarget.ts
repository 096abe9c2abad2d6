// Where a webhook may be delivered, and the one POST that delivers it.
// A tenant chooses the URL, so the node must not become its port scanner:
// loopback, private, link-local, multicast, reserved and unspecified
// addresses (IPv4, IPv6, IPv4-mapped and -embedding IPv6) are refused. IP
// literals are refused when the webhook is configured (the WHATWG URL parser
// has already turned decimal, octal and hex forms like 2130706433, 0x7f.1 and
// 0177.0.0.1 into dotted quads); DNS names are resolved at delivery time by
// the connection's own lookup, so the address that is checked is the address
// that is connected to (no rebinding between check and connect). Redirects are
// never followed. WEBHOOK_ALLOW_PRIVATE=1 lifts the address rule (a receiver
// on the operator's own network, the test suite's loopback receiver).
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { FacegateError } from '../../common/errors.ts';

const FORBIDDEN = new net.BlockList();
for (const [a, bits] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  FORBIDDEN.addSubnet(a, bits, 'ipv4');
}
for (const [a, bits] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible (::a.b.c.d)
  ['64:ff9b::', 96], // NAT64: embeds an IPv4 address
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 32], // Teredo: embeds an IPv4 address
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  FORBIDDEN.addSubnet(a, bits, 'ipv6');
}

/** Whether a delivery to this IP address is refused (IPv4-mapped IPv6 is checked as the IPv4 it maps). */
export function isForbiddenAddress(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 0) return true;
  return FORBIDDEN.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL's host as an IP address when it is one (brackets of an IPv6 literal removed), else null. */
function ipLiteral(u: URL): string | null {
  const h = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return net.isIP(h) === 0 ? null : h;
}

/** Validates a tenant's webhook URL when it is configured; throws validation_error. */
export function checkWebhookUrl(url: string, allowPrivate: boolean): URL {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(url)) {
    throw new FacegateError('validation_error', 'webhook url must not contain control characters', { field: 'url' });
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FacegateError('validation_error', 'webhook url is not a URL', { field: 'url' });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new FacegateError('validation_error', 'webhook url must be http(s)', { field: 'url' });
  }
  if (u.username !== '' || u.password !== '') {
    throw new FacegateError('validation_error', 'webhook url must not carry credentials', { field: 'url' });
  }
  const ip = ipLiteral(u);
  if (!allowPrivate && ip !== null && isForbiddenAddress(ip)) {
    throw new FacegateError('validation_error', 'webhook url must not point at a loopback, private, link-local or multicast address', {
      field: 'url',
    });
  }
  return u;
}

/** Why one POST did not deliver: the detail stays in the server log, the tenant sees one generic failure. */
export class DeliveryError extends Error {
  readonly status: number | null;
  constructor(message: string, status: number | null = null) {
    super(message);
    this.name = 'DeliveryError';
    this.status = status;
  }
}

/** dns.lookup for one connection, refusing a name that resolves to any forbidden address. */
function guardedLookup(hostname: string, options: dns.LookupOptions, cb: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return cb(err, '', 0);
    const bad = addresses.find((a) => isForbiddenAddress(a.address));
    if (bad || addresses.length === 0) {
      const e: NodeJS.ErrnoException = new DeliveryError(`webhook host resolves to a refused address (${bad?.address ?? 'none'})`);
      e.code = 'EADDRNOTALLOWED';
      return cb(e, '', 0);
    }
    if (options.all) return cb(null, addresses);
    cb(null, addresses[0]!.address, addresses[0]!.family);
  });
}

export interface PostOptions {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  readonly allowPrivate: boolean;
}

/** POSTs once; resolves with the 2xx status, rejects with a DeliveryError (or a socket error) otherwise. */
export function postWebhook(url: string, o: PostOptions): Promise<number> {
  let u: URL;
  try {
    u = checkWebhookUrl(url, o.allowPrivate);
  } catch (e) {
    return Promise.reject(new DeliveryError(e instanceof Error ? e.message : String(e)));
  }
  const request = u.protocol === 'https:' ? https.request : http.request;
  return new Promise<number>((resolve, reject) => {
    const req = request(u, {
      method: 'POST',
      headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
      agent: false,
      ...(o.allowPrivate ? {} : { lookup: guardedLookup }),
    });
    const deadline = setTimeout(() => req.destroy(new DeliveryError(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('error', reject);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      clearTimeout(deadline);
      res.resume();
      res.on('error', () => undefined);
      if (status >= 200 && status < 300) resolve(status);
      else reject(new DeliveryError(`HTTP ${status}`, status));
    });
    req.end(o.body);
  });
}
