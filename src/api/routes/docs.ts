// The API's own description: GET /api/schema/ (OpenAPI 3, generated from the
// routes' declarations by openapi.ts), Swagger UI at /api/schema/swagger-ui/
// and ReDoc at /api/schema/redoc/ (its standalone bundle served from
// node_modules: no CDN). Both viewers load the document from /api/schema/ and
// run only scripts from this origin, so they pass the CSP of webHygiene.ts.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Response } from 'express';
import swaggerUi from 'swagger-ui-express';
import { z } from 'zod';
import { ApiRouter, type Operation } from '../ApiRouter.ts';
import { openApiDocument } from '../openapi.ts';

const REDOC_BUNDLE = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');
// The bundle's sidebar credit shows a logo from cdn.redoc.ly: the CSP (and
// the no-CDN rule) blocks it, so the URL is blanked; the image hides itself
// on error and the text link stays.
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
let redocBundle: Promise<string> | undefined;
function loadRedoc(): Promise<string> {
  redocBundle ??= readFile(REDOC_BUNDLE, 'utf8').then((js) => js.replaceAll(REDOC_CDN_LOGO, ''));
  redocBundle.catch(() => {
    redocBundle = undefined;
  });
  return redocBundle;
}

const REDOC_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>facegate API (ReDoc)</title>
<link rel="icon" href="data:,">
</head>
<body>
<div id="redoc"></div>
<script src="/api/schema/redoc/redoc.standalone.js"></script>
<script src="/api/schema/redoc/redoc-init.js"></script>
</body>
</html>
`;

const REDOC_INIT = `Redoc.init('/api/schema/', {}, document.getElementById('redoc'));\n`;

const html = { description: 'HTML page', schema: z.string(), contentType: 'text/html' } as const;
const script = { description: 'script', schema: z.string(), contentType: 'application/javascript' } as const;

function sendScript(res: Response, js: string): void {
  res.type('application/javascript').set('Cache-Control', 'no-cache').send(js);
}

/** @param operations every operation the app serves (this router's included), read on the first request. */
export function docsRoutes(operations: () => readonly Operation[]): ApiRouter {
  let doc: Record<string, unknown> | undefined;
  const r = new ApiRouter();
  r.get('/api/schema', {
    summary: 'This OpenAPI document',
    tags: ['docs'],
    responses: { 200: { description: 'OpenAPI 3.0 document', schema: z.record(z.string(), z.unknown()) } },
  }, (_req, res) => {
    doc ??= openApiDocument(operations());
    res.json(doc);
  });
  r.get('/api/schema/redoc', { summary: 'ReDoc rendering of this document', tags: ['docs'], responses: { 200: html } }, (_req, res) => {
    res.type('html').set('Cache-Control', 'no-cache').send(REDOC_HTML);
  });
  r.get('/api/schema/redoc/redoc.standalone.js', { summary: "ReDoc's standalone bundle", tags: ['docs'], responses: { 200: script } }, async (_req, res) => {
    const js = await loadRedoc();
    res.type('application/javascript').set('Cache-Control', 'public, max-age=86400').send(js);
  });
  r.get('/api/schema/redoc/redoc-init.js', { summary: 'Starts ReDoc on /api/schema/', tags: ['docs'], responses: { 200: script } }, (_req, res) => {
    sendScript(res, REDOC_INIT);
  });
  // Swagger UI's own static files (swagger-ui-bundle.js, swagger-ui-init.js, ...): a mount, not routes.
  r.router.use(
    '/api/schema/swagger-ui',
    swaggerUi.serve,
    swaggerUi.setup(undefined, { customSiteTitle: 'facegate API (Swagger UI)', swaggerOptions: { url: '/api/schema/', validatorUrl: null } }),
  );
  return r;
}
