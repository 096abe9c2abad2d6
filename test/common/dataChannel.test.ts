import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_MESSAGE_BYTES, parseClientMessage, parseServerMessage } from '../../common/protocol/dataChannel.ts';

test('parseServerMessage() accepts prompts (with a colour-flash sequence), progress, result and ping', () => {
  const prompt = {
    type: 'prompt',
    id: 'c1',
    action: 'color_flash',
    text: 'Keep looking at the screen',
    timeoutMs: 4000,
    colors: [{ rgb: [255, 0, 0], startMs: 0, durationMs: 300 }],
  };
  assert.deepEqual(parseServerMessage(JSON.stringify(prompt)), prompt);
  assert.deepEqual(parseServerMessage('{"type":"progress","value":0.5}'), { type: 'progress', value: 0.5 });
  assert.deepEqual(parseServerMessage('{"type":"result","outcome":"pass"}'), { type: 'result', outcome: 'pass' });
  assert.deepEqual(parseServerMessage('{"type":"ping","id":1,"sentAt":5}'), { type: 'ping', id: 1, sentAt: 5 });
});

test('parseServerMessage() rejects out-of-range values and unknown types with undefined', () => {
  assert.equal(parseServerMessage('{"type":"progress","value":1.5}'), undefined);
  assert.equal(
    parseServerMessage(JSON.stringify({ type: 'prompt', id: 'x', action: 'a', text: 't', colors: [{ rgb: [300, 0, 0], startMs: 0, durationMs: 1 }] })),
    undefined,
  );
  assert.equal(parseServerMessage('{"type":"shutdown"}'), undefined);
});

test('parseClientMessage() accepts ack/ping/pong as text or bytes and rejects junk, oversize and non-JSON', () => {
  assert.deepEqual(parseClientMessage('{"type":"ack","ref":"p1"}'), { type: 'ack', ref: 'p1' });
  assert.deepEqual(parseClientMessage(new TextEncoder().encode('{"type":"pong","id":3,"sentAt":9}')), { type: 'pong', id: 3, sentAt: 9 });
  assert.equal(parseClientMessage('not json'), undefined);
  assert.equal(parseClientMessage('{"type":"prompt","id":"x","action":"a","text":"t"}'), undefined);
  assert.equal(parseClientMessage(`{"type":"ack","ref":"${'x'.repeat(MAX_MESSAGE_BYTES)}"}`), undefined);
  assert.equal(parseClientMessage(42), undefined);
});
