// The SDK's colour-flash schedule: what a page paints when, relative to the
// prompt's arrival (the server times the reflection from the send plus half
// the RTT, so painting must start on receipt, not on some later timer).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseServerMessage } from '../../common/protocol/dataChannel.ts';
import { flashColorAt, flashScheduleOf } from '../../signaling/sdk/flashSchedule.ts';

const prompt = parseServerMessage(
  JSON.stringify({
    type: 'prompt',
    id: 'c1',
    action: 'color_flash',
    text: 'Keep looking at the screen',
    colors: [
      { rgb: [255, 0, 0], startMs: 0, durationMs: 300 },
      { rgb: [0, 0, 255], startMs: 300, durationMs: 300 },
    ],
  }),
);

describe('SDK flash schedule', () => {
  it('flashScheduleOf() times the steps from receipt and ends after the last one', () => {
    assert.ok(prompt?.type === 'prompt', 'a valid prompt on the data channel schema');
    const s = flashScheduleOf(prompt, 1000);
    assert.ok(s !== undefined);
    assert.equal(s.promptId, 'c1');
    assert.equal(s.endsAt, 1600);
    assert.equal(flashColorAt(s, 999), null);
    assert.deepEqual(flashColorAt(s, 1000), [255, 0, 0]);
    assert.deepEqual(flashColorAt(s, 1299), [255, 0, 0]);
    assert.deepEqual(flashColorAt(s, 1300), [0, 0, 255]);
    assert.equal(flashColorAt(s, 1600), null);
  });

  it('flashScheduleOf() returns undefined for a prompt without colours (old servers, other challenges)', () => {
    assert.equal(flashScheduleOf({ type: 'prompt', id: 'b', action: 'blink', text: 'Blink' }, 0), undefined);
    assert.equal(flashScheduleOf({ type: 'prompt', id: 'b', action: 'blink', text: 'Blink', colors: [] }, 0), undefined);
  });
});
