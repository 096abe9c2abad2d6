// The demo kiosk page on the facegate SDK: face oval over the camera preview,
// the server's prompt text, a progress bar and the result. The session token
// comes from the page URL (?token=...) or, when the server offers it, from
// POST /demo/session. Page state is mirrored on window.facegateDemo for tests.
// Test-only: ?flashloopback=reflect publishes the camera through a canvas that
// lights the centre of each frame with the colour being flashed (a screen's
// light on a face, 100 ms of camera latency later), so a fake camera file can
// answer a colour flash on cue; =ignore publishes the same canvas unlit.
// Accessibility: prompts and results sit in aria-live regions and are also
// spoken (speechSynthesis, opt-out with the "Read prompts aloud" box or
// ?speak=0); the colour flash is announced by its prompt before the first
// colour, and "Avoid flashing colours" (?flash=off) opts out of it at join;
// the page names the step (enrollment or verification) and, after
// a failed try, says in words what to do (reasonText.ts).
import { FacegateClient } from '../sdk/FacegateClient.ts';
import { flashColorAt, type FlashSchedule } from '../sdk/flashSchedule.ts';
import type { ServerMessage } from '../../common/protocol/dataChannel.ts';
import { endText, reasonText } from './reasonText.ts';

type Step = 'enrollment' | 'authentication';

interface DemoState {
  state: string;
  messages: ServerMessage[];
  closedReason: string | undefined;
  error: string | undefined;
  client: FacegateClient | undefined;
  /** The session's step, when the server says (GET /api/auth/session/:token/status). */
  step: Step | undefined;
  /** The sentence shown after the last try. */
  reason: string;
  /** Every text handed to speechSynthesis, in order. */
  spoken: string[];
}

const demo: DemoState = {
  state: 'idle', messages: [], closedReason: undefined, error: undefined, client: undefined, step: undefined, reason: '', spoken: [],
};
(window as unknown as { facegateDemo: DemoState }).facegateDemo = demo;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`missing #${id}`);
  return el as T;
};
const video = $<HTMLVideoElement>('preview');
const promptEl = $('prompt');
const progressEl = $<HTMLProgressElement>('progress');
const resultEl = $('result');
const ovalEl = $('oval');
const statusEl = $('status');
const cameraEl = $<HTMLSelectElement>('camera');
const startEl = $<HTMLButtonElement>('start');
const stopEl = $<HTMLButtonElement>('stop');
const flashEl = $('flash');
const stepEl = $('step');
const reasonEl = $('reason');
const speakEl = $<HTMLInputElement>('speak');
const noFlashEl = $<HTMLInputElement>('noflash');
const noGestureEl = $<HTMLInputElement>('nogesture');

const SPEAK_KEY = 'facegate.kiosk.speak';
const NO_FLASH_KEY = 'facegate.kiosk.noflash';
const pageParams = new URLSearchParams(location.search);
// The flash opt-out (?flash=off, or the box, remembered): the server then asks for other challenges.
noFlashEl.checked = pageParams.get('flash') === 'off' || localStorage.getItem(NO_FLASH_KEY) === 'on';
noFlashEl.addEventListener('change', () => localStorage.setItem(NO_FLASH_KEY, noFlashEl.checked ? 'on' : 'off'));
// The no-gesture path (?gestures=off, or the box; not remembered: it ends in a step-up): no prompt at all.
noGestureEl.checked = pageParams.get('gestures') === 'off';
speakEl.checked = pageParams.get('speak') !== '0' && localStorage.getItem(SPEAK_KEY) !== 'off';
speakEl.addEventListener('change', () => {
  localStorage.setItem(SPEAK_KEY, speakEl.checked ? 'on' : 'off');
  if (!speakEl.checked && 'speechSynthesis' in window) speechSynthesis.cancel();
});

/** Says `text` aloud where the browser can and the user has not opted out; a newer text interrupts an older one. */
function speak(text: string): void {
  if (!speakEl.checked || text === '' || !('speechSynthesis' in window)) return;
  demo.spoken.push(text);
  speechSynthesis.cancel();
  speechSynthesis.speak(new SpeechSynthesisUtterance(text));
}

const STEP_TEXT: Readonly<Record<Step, string>> = {
  enrollment: 'Step: enrollment. We are registering your face.',
  authentication: 'Step: verification. We are checking that you are the enrolled person.',
};
const DONE_TEXT: Readonly<Record<Step, string>> = {
  enrollment: 'You are enrolled. Press Start to verify.',
  authentication: 'You are verified.',
};

function showReason(text: string): void {
  demo.reason = text;
  reasonEl.textContent = text;
}

interface StatusView {
  kind: Step;
  decision: { outcome: string; reason: string | null } | null;
}

/** The session's service view; undefined where the server has no REST API (a bare signaling server). */
async function sessionStatus(tok: string): Promise<StatusView | undefined> {
  try {
    const res = await fetch(`/api/auth/session/${encodeURIComponent(tok)}/status`);
    return res.ok ? ((await res.json()) as StatusView) : undefined;
  } catch {
    return undefined;
  }
}
let flashFrame: number | undefined;

/**
 * Paints a colour-flash schedule full-screen (the server reads the colour cast
 * off the face), each colour at its offset from the prompt's arrival, then
 * clears it. Driven by animation frames against the schedule's clock, so a
 * late timer cannot shift the sequence.
 */
function playColors(schedule: FlashSchedule): void {
  if (flashFrame !== undefined) cancelAnimationFrame(flashFrame);
  const paint = (): void => {
    const now = performance.now();
    const rgb = flashColorAt(schedule, now);
    if (rgb !== null) {
      flashEl.style.background = `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
      flashEl.classList.add('on');
    } else {
      flashEl.classList.remove('on');
    }
    flashFrame = now < schedule.endsAt ? requestAnimationFrame(paint) : undefined;
  };
  paint();
}

/** Screen-to-capture latency the loopback camera simulates, ms. */
const LOOPBACK_LATENCY_MS = 100;
/** Light the loopback adds: up to 20 % of each channel's own value, as lightFace() in media/screenLight.ts. */
const LOOPBACK_GAIN = 0.2;

/**
 * Test-only camera for ?flashloopback: the real camera drawn on a canvas, the
 * centre of the picture (where the oval puts the face) lit by the current
 * flash colour in proportion to its own pixel values, published by
 * canvas.captureStream().
 */
async function loopbackCamera(reflect: boolean): Promise<{ stream: MediaStream; play(schedule: FlashSchedule): void; stop(): void }> {
  const camera = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 15 }, audio: false });
  const source = document.createElement('video');
  source.muted = true;
  source.playsInline = true;
  source.srcObject = camera;
  await source.play();
  const canvas = document.createElement('canvas');
  const lit = document.createElement('canvas');
  canvas.width = lit.width = 640;
  canvas.height = lit.height = 480;
  const ctx = canvas.getContext('2d');
  const lctx = lit.getContext('2d');
  if (ctx === null || lctx === null) throw new Error('no 2d canvas');
  let schedule: FlashSchedule | undefined;
  const draw = (): void => {
    ctx.globalCompositeOperation = 'source-over';
    ctx.globalAlpha = 1;
    ctx.drawImage(source, 0, 0, 640, 480);
    const rgb = reflect && schedule !== undefined ? flashColorAt(schedule, performance.now() - LOOPBACK_LATENCY_MS) : null;
    if (rgb === null) return;
    // frame x colour (multiply), kept inside a soft ellipse, added back at the gain.
    lctx.globalCompositeOperation = 'source-over';
    lctx.drawImage(source, 0, 0, 640, 480);
    lctx.globalCompositeOperation = 'multiply';
    lctx.fillStyle = `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
    lctx.fillRect(0, 0, 640, 480);
    lctx.globalCompositeOperation = 'destination-in';
    const g = lctx.createRadialGradient(320, 240, 0, 320, 240, 260);
    g.addColorStop(0, 'rgba(0,0,0,1)');
    g.addColorStop(0.6, 'rgba(0,0,0,1)');
    g.addColorStop(1, 'rgba(0,0,0,0)');
    lctx.fillStyle = g;
    lctx.fillRect(0, 0, 640, 480);
    ctx.globalCompositeOperation = 'lighter';
    ctx.globalAlpha = LOOPBACK_GAIN;
    ctx.drawImage(lit, 0, 0);
  };
  const timer = setInterval(draw, 1000 / 30);
  return {
    stream: canvas.captureStream(15),
    play: (s) => void (schedule = s),
    stop: () => {
      clearInterval(timer);
      for (const t of camera.getTracks()) t.stop();
    },
  };
}

async function fillCameras(): Promise<void> {
  try {
    const cams = await FacegateClient.listCameras();
    cameraEl.replaceChildren(
      ...cams.map((c, i) => {
        const o = document.createElement('option');
        o.value = c.deviceId;
        o.textContent = c.label || `Camera ${i + 1}`;
        return o;
      }),
    );
  } catch {
    // No device list without permission in some browsers: the default camera is used.
  }
}

async function token(): Promise<string> {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) return fromUrl;
  const res = await fetch('/demo/session', { method: 'POST' });
  if (!res.ok) throw new Error('no session token: open this page with ?token=<session token>');
  const body = (await res.json()) as { token: string };
  return body.token;
}

/** Words for a start that failed, by the DOMException name getUserMedia gives. */
function startFailureText(name: string): string {
  if (name === 'NotAllowedError') return 'The camera is blocked. Allow camera access for this page in the browser, then press Start.';
  if (name === 'NotFoundError') return 'No camera was found. Connect a camera, then press Start.';
  return 'The check could not start. Press Start to try again.';
}

/**
 * The verdict (the service has committed it before the result leaves, so its
 * reason, e.g. no_match or locked_out, is the one the user can act on) and a
 * connection that ended before one: shown, announced and spoken.
 */
function showResults(client: FacegateClient, tok: string, loopback: { stop(): void } | undefined): void {
  let gotResult = false;
  client.on('result', (r) => {
    gotResult = true;
    ovalEl.dataset['result'] = r.outcome;
    resultEl.textContent = r.outcome === 'pass' ? 'Verified' : r.outcome === 'fail' ? 'Not verified' : 'Error';
    // The service has committed its verdict before the result leaves: its
    // reason (no_match, locked_out, ...) is the one the user can act on.
    void sessionStatus(tok).then((after) => {
      const d = after?.decision ?? null;
      const passed = d !== null ? d.outcome === 'succeeded' : r.outcome === 'pass';
      const text = passed ? DONE_TEXT[after?.kind ?? 'authentication'] : reasonText(d?.reason ?? r.reason);
      showReason(text);
      speak(`${resultEl.textContent ?? ''}. ${text}`);
    });
  });
  client.on('closed', (reason) => {
    loopback?.stop();
    demo.closedReason = reason;
    const why = gotResult ? undefined : endText(reason);
    if (why !== undefined) {
      showReason(why);
      speak(why);
    }
    startEl.disabled = false;
    stopEl.disabled = true;
  });
}

async function start(): Promise<void> {
  startEl.disabled = true;
  resultEl.textContent = '';
  showReason('');
  delete ovalEl.dataset['result'];
  try {
    const params = new URLSearchParams(location.search);
    const relay = params.get('relay') === '1';
    const mode = params.get('flashloopback');
    const loopback = mode === 'reflect' || mode === 'ignore' ? await loopbackCamera(mode === 'reflect') : undefined;
    const tok = await token();
    const view = await sessionStatus(tok);
    demo.step = view?.kind;
    stepEl.textContent = view !== undefined ? STEP_TEXT[view.kind] : 'Step: face check.';
    const client = new FacegateClient({
      serverUrl: location.origin,
      token: tok,
      ...(cameraEl.value ? { deviceId: cameraEl.value } : {}),
      ...(relay ? { iceTransportPolicy: 'relay' as const } : {}),
      ...(loopback !== undefined ? { stream: loopback.stream } : {}),
      ...(noFlashEl.checked || noGestureEl.checked ? { flash: 'off' as const } : {}),
      ...(noGestureEl.checked ? { gestures: 'off' as const } : {}),
    });
    demo.client = client;
    client.on('state', (s) => {
      demo.state = s;
      statusEl.textContent = s;
    });
    client.on('message', (m) => void demo.messages.push(m));
    client.on('prompt', (p) => {
      promptEl.textContent = p.text;
      speak(p.text);
    });
    client.on('flash', (schedule) => {
      playColors(schedule);
      loopback?.play(schedule);
    });
    client.on('progress', (p) => (progressEl.value = p.value));
    showResults(client, tok, loopback);
    await client.start();
    video.srcObject = client.stream ?? null;
    stopEl.disabled = false;
    void fillCameras();
  } catch (e) {
    demo.error = (e as Error).message;
    statusEl.textContent = `error: ${demo.error}`;
    showReason(startFailureText((e as Error).name));
    startEl.disabled = false;
  }
}

startEl.addEventListener('click', () => void start());
stopEl.addEventListener('click', () => void demo.client?.stop());
void fillCameras();
if (pageParams.get('autostart') === '1') void start();
