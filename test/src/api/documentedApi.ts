// The documented API's examples, read out of ../shared/documented-api/README.md
// at test time (its "API Documentation" section, and the /health/ example of
// its operations section): every request (method, path, headers, JSON body or
// query parameters) with the response examples that follow it, the error body
// example and the table of error codes. The conformance test replays them.
import fs from 'node:fs';

export const DOCUMENTED_README = new URL('../../../../shared/documented-api/README.md', import.meta.url).pathname;

export interface ResponseExample {
  /** The label above the block: "Response", "Final Response (when completed)", "Failure Response", ... */
  readonly label: string;
  readonly body: Record<string, unknown>;
}

export interface RequestExample {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As documented, query string included (e.g. /api/auth/session/{session_token}/status/). */
  readonly path: string;
  /** The heading the example sits under. */
  readonly section: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Record<string, unknown> | null;
  /** "Query Parameters:" lines (name -> documented value). */
  readonly query: Readonly<Record<string, string>>;
  readonly responses: ResponseExample[];
}

export interface DocumentedApi {
  readonly requests: readonly RequestExample[];
  readonly errorBody: Record<string, unknown>;
  /** Status -> error code, from the "Common Error Codes" table. */
  readonly errorCodes: ReadonlyMap<number, string>;
  readonly health: Record<string, unknown>;
}

/** The README's JSON is JSON with `// comments` and `[...]` placeholders. */
function lenientJson(text: string): Record<string, unknown> {
  const cleaned = text
    .split('\n')
    .map((l) => l.replace(/\s+\/\/.*$/, ''))
    .join('\n')
    .replace(/\[\.\.\.\]/g, '[]');
  return JSON.parse(cleaned) as Record<string, unknown>;
}

interface Block {
  readonly lang: string;
  readonly lines: readonly string[];
  /** The last non-empty line before the block. */
  readonly before: string;
  readonly heading: string;
}

function blocks(lines: readonly string[]): Block[] {
  const out: Block[] = [];
  let heading = '';
  let before = '';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const fence = /^```(\w*)\s*$/.exec(l);
    if (!fence) {
      if (l.startsWith('#')) heading = l.replace(/^#+\s*/, '');
      if (l.trim() !== '') before = l.trim();
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^```\s*$/.test(lines[j]!); j++) body.push(lines[j]!);
    out.push({ lang: fence[1] ?? '', lines: body, before, heading });
    i = j;
  }
  return out;
}

function requestOf(b: Block): RequestExample | null {
  const first = /^(GET|POST|PUT|DELETE) (\S+)$/.exec(b.lines[0]?.trim() ?? '');
  if (!first) return null;
  const headers: Record<string, string> = {};
  const query: Record<string, string> = {};
  let i = 1;
  for (; i < b.lines.length && b.lines[i]!.trim() !== ''; i++) {
    const l = b.lines[i]!;
    const header = /^([A-Za-z-]+): (.+)$/.exec(l);
    const param = /^\s+- (\w+): (\S+)/.exec(l);
    if (param) query[param[1]!] = param[2]!;
    else if (header) headers[header[1]!.toLowerCase()] = header[2]!;
  }
  const rest = b.lines.slice(i).join('\n').trim();
  return {
    method: first[1] as RequestExample['method'],
    path: first[2]!,
    section: b.heading,
    headers,
    body: rest === '' ? null : lenientJson(rest),
    query,
    responses: [],
  };
}

export function readDocumentedApi(file = DOCUMENTED_README): DocumentedApi {
  const all = fs.readFileSync(file, 'utf8').split('\n');
  const start = all.findIndex((l) => /^##\s+API Documentation/.test(l));
  const end = all.findIndex((l, i) => i > start && /^##\s+WebSocket Integration/.test(l));
  if (start < 0 || end < 0) throw new Error(`no API Documentation section in ${file}`);
  const requests: RequestExample[] = [];
  let errorBody: Record<string, unknown> | null = null;
  for (const b of blocks(all.slice(start, end))) {
    const req = b.lang === 'bash' ? requestOf(b) : null;
    if (req) {
      requests.push(req);
      continue;
    }
    if (b.lang !== 'json') continue;
    const label = /^\*\*(.*Response.*?):?\*\*$/.exec(b.before);
    if (b.heading === 'Error Responses') errorBody = lenientJson(b.lines.join('\n'));
    else if (label && requests.length > 0) requests.at(-1)!.responses.push({ label: label[1]!.replace(/:$/, ''), body: lenientJson(b.lines.join('\n')) });
    else throw new Error(`a JSON block under "${b.heading}" belongs to no request`);
  }
  const errorCodes = new Map<number, string>();
  for (const l of all.slice(start, end)) {
    const row = /^\| (\d{3}) \| `(\w+)` \|/.exec(l);
    if (row) errorCodes.set(Number(row[1]), row[2]!);
  }
  // The operations section: `curl .../health/ | jq` then "# Expected response:" and the JSON.
  const healthBlock = blocks(all).find((b) => b.lines.some((l) => /curl \S+\/health\/ /.test(l)));
  const expected = healthBlock?.lines.findIndex((l) => /Expected response/.test(l)) ?? -1;
  if (!healthBlock || expected < 0) throw new Error('no /health/ example');
  if (!errorBody) throw new Error('no error body example');
  return { requests, errorBody, errorCodes, health: lenientJson(healthBlock.lines.slice(expected + 1).join('\n')) };
}
