import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { renderCoturnConfig, startCoturn } from '../../turn/coturn.ts';

test('renderCoturnConfig() fills the template with REST-API auth and loopback settings', () => {
  const conf = renderCoturnConfig({
    listenIp: '127.0.0.1',
    port: 3478,
    minPort: 50000,
    maxPort: 50100,
    realm: 'r',
    secret: 'secret-of-enough-length',
    allowLoopbackPeers: true,
  });
  assert.match(conf, /^listening-ip=127\.0\.0\.1$/m);
  assert.match(conf, /^listening-port=3478$/m);
  assert.match(conf, /^use-auth-secret$/m);
  assert.match(conf, /^static-auth-secret=secret-of-enough-length$/m);
  assert.match(conf, /^allow-loopback-peers$/m);
  assert.doesNotMatch(conf, /\$\{/);
  assert.throws(() => renderCoturnConfig({ listenIp: 'x', port: 1, minPort: 1, maxPort: 2, realm: 'r', secret: 'a b', allowLoopbackPeers: false }), TypeError);
});

test('startCoturn() runs turnserver on a free loopback port and stop() ends it', { skip: !existsSync('/usr/bin/turnserver') && 'turnserver is not installed' }, async (t) => {
  const turn = await startCoturn({ secret: 'secret-of-enough-length' });
  t.after(() => turn.stop());
  assert.ok(turn.port > 0);
  assert.equal(turn.url, `turn:127.0.0.1:${turn.port}?transport=udp`);
  await turn.stop();
  await turn.stop();
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(turn.port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
  assert.equal(refused, true);
});
