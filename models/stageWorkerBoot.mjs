// Plain-JS entry of the StageWorker thread. Node 20 does not hand the parent's
// `--import tsx` loader to worker threads reliably (the test runner's children
// lose it), so the TypeScript entry is loaded through tsx's scoped API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./stageWorkerMain.ts', import.meta.url);
