// The demo kiosk page on the facegate SDK: face oval over the camera preview,
// the server's prompt text, a progress bar and the result. The session token
// comes from the page URL (?token=...) or, when the server offers it, from
// POST /demo/session. Page state is mirrored on window.facegateDemo for tests.
import { FacegateClient, type PromptMessage } from '../sdk/FacegateClient.ts';
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
let flashTimers: ReturnType<typeof setTimeout>[] = [];

/** Paints a colour-flash sequence full-screen (the server reads the colour cast off the face). */
function playColors(colors: NonNullable<PromptMessage['colors']>): void {
  for (const t of flashTimers) clearTimeout(t);
  flashTimers = [];
  for (const step of colors) {
    flashTimers.push(
      setTimeout(() => {
        flashEl.style.background = `rgb(${step.rgb[0]}, ${step.rgb[1]}, ${step.rgb[2]})`;
        flashEl.classList.add('on');
      }, step.startMs),
      setTimeout(() => flashEl.classList.remove('on'), step.startMs + step.durationMs),
    );
  }
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
    client.on('prompt', (p) => {
      promptEl.textContent = p.text;
      if (p.colors !== undefined) playColors(p.colors);
    });
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
