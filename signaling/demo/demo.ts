// The demo kiosk page on the facegate SDK: face oval over the camera preview,
// the server's prompt text, a progress bar and the result. The session token
// comes from the page URL (?token=...) or, when the server offers it, from
// POST /demo/session. Page state is mirrored on window.facegateDemo for tests.
import { FacegateClient } from '../sdk/FacegateClient.ts';
import { flashColorAt, type FlashSchedule } from '../sdk/flashSchedule.ts';
import type { ServerMessage } from '../../media/dataMessages.ts';

interface DemoState {
  state: string;
  messages: ServerMessage[];
  closedReason: string | undefined;
  error: string | undefined;
  client: FacegateClient | undefined;
}

const demo: DemoState = { state: 'idle', messages: [], closedReason: undefined, error: undefined, client: undefined };
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

async function start(): Promise<void> {
  startEl.disabled = true;
  resultEl.textContent = '';
  delete ovalEl.dataset['result'];
  try {
    const params = new URLSearchParams(location.search);
    const relay = params.get('relay') === '1';
    const client = new FacegateClient({
      serverUrl: location.origin,
      token: await token(),
      ...(cameraEl.value ? { deviceId: cameraEl.value } : {}),
      ...(relay ? { iceTransportPolicy: 'relay' as const } : {}),
    });
    demo.client = client;
    client.on('state', (s) => {
      demo.state = s;
      statusEl.textContent = s;
    });
    client.on('message', (m) => void demo.messages.push(m));
    client.on('prompt', (p) => (promptEl.textContent = p.text));
    client.on('flash', playColors);
    client.on('progress', (p) => (progressEl.value = p.value));
    client.on('result', (r) => {
      ovalEl.dataset['result'] = r.outcome;
      resultEl.textContent = r.outcome === 'pass' ? 'Verified' : r.outcome === 'fail' ? 'Not verified' : 'Error';
    });
    client.on('closed', (reason) => {
      demo.closedReason = reason;
      startEl.disabled = false;
      stopEl.disabled = true;
    });
    await client.start();
    video.srcObject = client.stream ?? null;
    stopEl.disabled = false;
    void fillCameras();
  } catch (e) {
    demo.error = (e as Error).message;
    statusEl.textContent = `error: ${demo.error}`;
    startEl.disabled = false;
  }
}

startEl.addEventListener('click', () => void start());
stopEl.addEventListener('click', () => void demo.client?.stop());
void fillCameras();
if (new URLSearchParams(location.search).get('autostart') === '1') void start();
