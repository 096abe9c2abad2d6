// The process logger's redaction: passwords and tokens logged by mistake, at
// the top level or nested in a body, header set or error details, come out censored.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { LOG_REDACTION } from '../../../src/auth/logRedaction.ts';

test('LOG_REDACTION censors passwords, API keys and tokens at every logged depth', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const log = pino({ level: 'info', redact: LOG_REDACTION }, sink);
  log.info({ password: 'pw-top-secret', body: { email: 'a@example.com', password: 'pw-nested-secret', refresh: 'rt_nested' } }, 'one');
  log.info({ req: { headers: { authorization: 'Bearer tok-secret', 'x-api-key': 'fg_key_secret' }, body: { api_key: 'fg_body_secret' } } }, 'two');
  log.info({ err: { details: { access: 'acc-secret' } } }, 'three');
  const out = lines.join('');
  for (const s of ['pw-top-secret', 'pw-nested-secret', 'rt_nested', 'tok-secret', 'fg_key_secret', 'fg_body_secret', 'acc-secret']) {
    assert.ok(!out.includes(s), `${s} reached the log`);
  }
  assert.ok(out.includes('a@example.com'), 'other fields stay');
  assert.equal((out.match(/\[redacted\]/g) ?? []).length, 7);
});
