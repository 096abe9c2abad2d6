import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloseStack, type CloseFailure } from '../../src/CloseStack.ts';

describe('CloseStack', () => {
  it('closeAll() closes in reverse opening order, awaiting each close', async () => {
    const order: string[] = [];
    const stack = new CloseStack();
    stack.push('store', () => order.push('store'));
    stack.push('gallery', async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push('gallery');
    });
    stack.push('http', () => order.push('http'));
    assert.deepEqual(stack.names, ['store', 'gallery', 'http']);
    assert.deepEqual(await stack.closeAll(), []);
    assert.deepEqual(order, ['http', 'gallery', 'store']);
    assert.deepEqual(stack.names, []);
  });

  it('closeAll() carries on past a failing close and reports each failure', async () => {
    const heard: CloseFailure[] = [];
    const order: string[] = [];
    const stack = new CloseStack((f) => heard.push(f));
    stack.push('a', () => order.push('a'));
    stack.push('b', () => {
      throw new Error('b broke');
    });
    stack.push('c', () => Promise.reject(new Error('c broke')));
    const failures = await stack.closeAll();
    assert.deepEqual(order, ['a']);
    assert.deepEqual(failures.map((f) => [f.name, (f.error as Error).message]), [['c', 'c broke'], ['b', 'b broke']]);
    assert.deepEqual(heard, failures);
  });

  it('closeAll() is idempotent: a second call closes nothing again and returns the same result', async () => {
    let n = 0;
    const stack = new CloseStack();
    stack.push('once', () => n++);
    const first = stack.closeAll();
    const second = stack.closeAll();
    assert.equal(first, second);
    await first;
    await stack.closeAll();
    assert.equal(n, 1);
    assert.equal(stack.closed, true);
  });

  it('push() after closeAll() throws, and push() rejects a bad name or close with TypeError', () => {
    const stack = new CloseStack();
    assert.throws(() => stack.push('', () => {}), TypeError);
    assert.throws(() => stack.push('x', 'nope' as unknown as () => void), TypeError);
    void stack.closeAll();
    assert.throws(() => stack.push('late', () => {}), /already closed/);
  });
});
