import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequest } from '../../common/protocol/signaling.ts';

test('parseRequest() accepts a well-formed request and applies defaults', () => {
  const r = parseRequest({ name: 'produceData', data: { transportId: 't1', sctpStreamParameters: { streamId: 3, ordered: true } } });
  assert.ok(r.ok);
  assert.deepEqual(r.request, {
    name: 'produceData',
    data: { transportId: 't1', sctpStreamParameters: { streamId: 3, ordered: true }, label: '', protocol: '' },
  });
});

test('parseRequest() rejects unknown names, non-objects and bad data with a message', () => {
  for (const raw of [null, 'join', 42, { name: 'nope', data: {} }, { name: '__proto__', data: {} }, { name: 'join', data: { token: '' } }]) {
    const r = parseRequest(raw);
    assert.equal(r.ok, false, JSON.stringify(raw));
  }
  const r = parseRequest({ name: 'produce', data: { transportId: 't', kind: 'video', rtpParameters: { codecs: [] } } });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.message, /rtpParameters\.codecs/);
  const dir = parseRequest({ name: 'createTransport', data: { direction: 'sideways' } });
  assert.equal(dir.ok, false);
});
