// Generators for the parts of an HTTP request: path parameters, query
// strings, headers (credentials, content types, content encodings) and
// bodies (JSON of any shape, near-valid bodies for the API's schemas,
// malformed and compressed text). Values that are already percent-encoded
// are generated as such, invalid escapes included, and sent as they are.
import zlib from 'node:zlib';
import fc from 'fast-check';

/** Ids and tokens the generators may use, so some requests get past authentication and lookups. */
export interface KnownValues {
  readonly tokens: readonly string[];
  readonly apiKeys: readonly string[];
  readonly ids: readonly string[];
}

const enc = (s: string): string => encodeURIComponent(s);

/** Escapes that decodeURIComponent rejects or that decode to something awkward. */
export const NASTY_SEGMENTS: readonly string[] = [
  '%ZZ', '%', '%E0%A4%A', '%C0%AF', '%FF', '%00', 'a%00b', '%u0041', '%2e%2e', '..', '%2F', '%5C', '%0D%0A',
  '%F0%9F%98%80', '%EF%BF%BF', '%ED%A0%80', encodeURIComponent('__proto__'), 'constructor', '%25', '~', '-',
  'x'.repeat(300), 'y'.repeat(8000),
];

/** Path segments; `wellFormed` keeps to valid percent-encoding (hostile content, clean transport). */
export function segmentArb(known: KnownValues, wellFormed = false): fc.Arbitrary<string> {
  if (wellFormed) {
    return fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }).map(enc),
      fc.stringMatching(/^[A-Za-z0-9._@:+-]{1,140}$/),
      fc.constantFrom(...known.ids, ...known.tokens).map(enc),
    );
  }
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(enc) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9._@:+-]{1,140}$/) },
    { weight: 2, arbitrary: fc.constantFrom(...NASTY_SEGMENTS) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(enc) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...NASTY_SEGMENTS), fc.string({ maxLength: 8 })).map(([a, b]) => a + enc(b)) },
    { weight: 2, arbitrary: fc.constantFrom(...known.ids, ...known.tokens).map(enc) },
  );
}

const QUERY_KEYS = ['limit', 'offset', 'from', 'to', 'token', 'external_user_id', '__proto__', 'a[b]', 'limit[]'];

export const queryArb: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 10 }).map(enc)),
      fc.oneof(
        fc.integer({ min: -1e12, max: 1e12 }).map(String),
        fc.constantFrom('', '0', '-1', '1e999', 'NaN', '0x10', '%20%205', '500', '501', '1.5', 'true', '%ZZ', '%00'),
        fc.date({ noInvalidDate: true }).map((d) => enc(d.toISOString())),
        fc.constantFrom('2024-13-45T25:61:61Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '2024-01-01T00:00:00+99:00'),
        fc.string({ maxLength: 30 }).map(enc),
      ),
    ),
    { maxLength: 5 },
  )
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

/** Header-safe strings (node rejects CR, LF and NUL in header values before sending). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

export function authArb(known: KnownValues): fc.Arbitrary<Record<string, string>> {
  const jwtish = fc
    .tuple(fc.base64String({ maxLength: 40 }), fc.base64String({ maxLength: 80 }), fc.base64String({ maxLength: 40 }))
    .map((p) => p.join('.').replace(/=/g, ''));
  const alnone = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"x","cid":"x"}').toString('base64url')}.`;
  return fc.oneof(
    fc.constant({}),
    fc.constantFrom(...known.tokens).map((t) => ({ authorization: `Bearer ${t}` })),
    jwtish.map((t) => ({ authorization: `Bearer ${t}` })),
    fc.constantFrom(`Bearer ${alnone}`, 'Bearer', 'Bearer ', 'Basic YTpi', 'bearer x', `Bearer ${'a'.repeat(9000)}`).map((a) => ({ authorization: a })),
    headerText.map((a) => ({ authorization: a })),
    fc.oneof(fc.constantFrom(...known.apiKeys), headerText).map((k) => ({ 'x-api-key': k })),
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=bogus',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json, text/plain',
  '',
];

/** Encodes the body the way the content-encoding header claims, or claims it falsely. */
export type Encoding = 'none' | 'gzip' | 'deflate' | 'br' | 'gzip-invalid' | 'gzip-truncated' | 'identity' | 'x-unknown';
const ENCODINGS: readonly Encoding[] = ['none', 'gzip', 'deflate', 'br', 'gzip-invalid', 'gzip-truncated', 'identity', 'x-unknown'];

export function encodeBody(body: string, e: Encoding): { body: string; header?: string } {
  const raw = Buffer.from(body, 'latin1');
  switch (e) {
    case 'none':
      return { body };
    case 'gzip':
      return { body: zlib.gzipSync(raw).toString('latin1'), header: 'gzip' };
    case 'deflate':
      return { body: zlib.deflateSync(raw).toString('latin1'), header: 'deflate' };
    case 'br':
      return { body: zlib.brotliCompressSync(raw).toString('latin1'), header: 'br' };
    case 'gzip-invalid':
      return { body, header: 'gzip' };
    case 'gzip-truncated': {
      const z = zlib.gzipSync(raw);
      return { body: z.subarray(0, Math.max(1, z.length >> 1)).toString('latin1'), header: 'gzip' };
    }
    case 'identity':
    case 'x-unknown':
      return { body, header: e };
  }
}

export const contentTypeArb = fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerText);
export const encodingArb: fc.Arbitrary<Encoding> = fc.constantFrom(...ENCODINGS);

/** Field values for the API's body schemas, valid and not. */
function fieldValueArb(known: KnownValues): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._@:+-]{1,128}$/),
    fc.constantFrom(...known.tokens, ...known.apiKeys, ...known.ids),
    fc.constantFrom('', 'a\u0000b', '\uD800', 'x'.repeat(129), 'x'.repeat(5000), 'http://127.0.0.1:1/', 'https://example.com/hook', 'ftp://x', 'javascript:alert(1)', 'http://[::1]/', 'http://a\u0000b/'),
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.jsonValue({ maxDepth: 2 }),
  );
}

const FIELDS = ['api_key', 'external_user_id', 'session_token', 'image', 'url', '__proto__', 'constructor', 'extra'];

export function bodyArb(known: KnownValues): fc.Arbitrary<string> {
  const nearValid = fc
    .dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELDS) }, fc.string({ maxLength: 12 })), fieldValueArb(known), { maxKeys: 3 })
    .map((o) => JSON.stringify(o));
  return fc.oneof(
    { weight: 4, arbitrary: nearValid },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map((s) => Buffer.from(s, 'utf8').toString('latin1')) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('{', '{"a":', '[1,2', '{"api_key":"x"}garbage', '\uFEFF{}', '{"__proto__":{"admin":true}}', 'null', '"str"', '1e400', '{"a":1,"a":2}'),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
  );
}
