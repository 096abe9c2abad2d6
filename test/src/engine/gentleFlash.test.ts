// The gentle flash: the default palette has no full red and is desaturated,
// LIVENESS_FLASH_* settings reach the session's palette and notice, bad
// settings fail at start, and the challenge's sequences change colour at most
// three times a second, starting after the notice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionOptionsFromConfig } from '../../../src/bridge/sessionOptions.ts';
import { loadConfig } from '../../../src/config.ts';
import { colorFlashChallenge, MAX_FLASH_CHANGES_PER_S } from '../../../src/engine/challenges/colorFlash.ts';
import { FrameEvidence } from '../../../src/engine/FrameEvidence.ts';
import { DEFAULT_SESSION_OPTIONS } from '../../../src/engine/options.ts';
import { FLASH_PALETTE, flashPalette, generateFlashSequence } from '../../../src/engine/signals/colorFlash.ts';

describe('gentle colour flash', () => {
  it('FLASH_PALETTE has no full red and no fully saturated colour', () => {
    for (const c of FLASH_PALETTE) {
      assert.notDeepEqual([...c], [255, 0, 0]);
      // Fully saturated: one channel at 0 and one at 255.
      assert.ok(!(Math.min(...c) === 0 && Math.max(...c) === 255), `saturated ${JSON.stringify(c)}`);
    }
    assert.equal(new Set(FLASH_PALETTE.map((c) => c.join())).size, FLASH_PALETTE.length, 'distinct colours');
  });

  it('flashPalette() mixes toward grey by saturation and scales by intensity; rejects values outside (0, 1]', () => {
    assert.deepEqual(flashPalette([[255, 0, 0]], { saturation: 1, intensity: 1 }), [[255, 0, 0]]);
    assert.deepEqual(flashPalette([[255, 0, 0]], { saturation: 0.5, intensity: 1 }), [[166, 38, 38]]);
    assert.deepEqual(flashPalette([[200, 100, 0]], { saturation: 1, intensity: 0.5 }), [[100, 50, 0]]);
    assert.throws(() => flashPalette([[1, 2, 3]], { saturation: 0, intensity: 1 }), TypeError);
    assert.throws(() => flashPalette([[1, 2, 3]], { saturation: 1, intensity: 1.5 }), TypeError);
  });

  it('LIVENESS_FLASH_COLORS / _SATURATION / _INTENSITY / _NOTICE_MS / _OPT_OUT reach the session options; bad values fail at start', () => {
    const o = sessionOptionsFromConfig(
      loadConfig({
        LIVENESS_FLASH_COLORS: '#ff0000,#00ff00,#0000ff,#ffff00,#ff00ff',
        LIVENESS_FLASH_SATURATION: '1',
        LIVENESS_FLASH_INTENSITY: '0.5',
        LIVENESS_FLASH_NOTICE_MS: '800',
      }),
    );
    assert.deepEqual(o.flash.palette, [[128, 0, 0], [0, 128, 0], [0, 0, 128], [128, 128, 0], [128, 0, 128]]);
    assert.equal(o.flash.noticeMs, 800);
    assert.deepEqual(sessionOptionsFromConfig(loadConfig({})).flash.palette, FLASH_PALETTE);
    assert.throws(() => loadConfig({ LIVENESS_FLASH_COLORS: '#ff0000,#00ff00' }), /LIVENESS_FLASH_COLORS/);
    assert.throws(() => loadConfig({ LIVENESS_FLASH_COLORS: 'red,#00ff00,#0000ff,#ffff00,#ff00ff' }), /LIVENESS_FLASH_COLORS/);
    assert.throws(() => loadConfig({ LIVENESS_FLASH_COLORS: '#ff0000,#ff0000,#0000ff,#ffff00,#ff00ff' }), /LIVENESS_FLASH_COLORS/);
    assert.throws(() => loadConfig({ LIVENESS_FLASH_SATURATION: '0' }), /LIVENESS_FLASH_SATURATION/);
    assert.throws(() => loadConfig({ LIVENESS_FLASH_INTENSITY: '2' }), /LIVENESS_FLASH_INTENSITY/);
    assert.equal(loadConfig({}).liveness.flashOptOut, true);
    assert.equal(loadConfig({ LIVENESS_FLASH_OPT_OUT: 'deny' }).liveness.flashOptOut, false);
    assert.throws(() => loadConfig({ LIVENESS_FLASH_OPT_OUT: 'maybe' }), /LIVENESS_FLASH_OPT_OUT/);
  });

  it('the challenge draws from the session palette, starts after the notice and changes colour at most 3 times a second', () => {
    const palette = flashPalette([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [255, 0, 255], [0, 255, 255]], { saturation: 0.6, intensity: 0.7 });
    // A fast step asked for: the photosensitivity floor still holds.
    const options = { ...DEFAULT_SESSION_OPTIONS, flashStepMs: 100, flash: { ...DEFAULT_SESSION_OPTIONS.flash, palette, noticeMs: 1200 } };
    const { colors } = colorFlashChallenge.setup(new FrameEvidence(options), options);
    assert.ok(colors !== undefined && colors.length === options.flashSteps);
    assert.equal(colors[0]!.startMs, 1200);
    for (const c of colors) {
      assert.ok(palette.some((p) => p.join() === c.rgb.join()), `${JSON.stringify(c.rgb)} is from the palette`);
      assert.ok(c.durationMs >= 1000 / MAX_FLASH_CHANGES_PER_S, `step ${c.durationMs} ms`);
    }
    assert.throws(() => generateFlashSequence({ steps: 5, stepMs: 300, palette: palette.slice(0, 4) }), TypeError);
  });
});
