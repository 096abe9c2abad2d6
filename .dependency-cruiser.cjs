// The layer rules of facegate (README "Architecture"), checked by
// `npm run lint:layers` inside `npm test`, and by test/architecture.test.ts,
// which injects a module breaking each rule and expects it reported.
// Type-only imports count: a layer that names another's types depends on it.

// Product code: what the server ships. Tools (scripts/) and tests (test/) may import it, never the reverse.
const PRODUCT = '^(common|src|media|models|signaling|turn)/';
const LOWER = '^(common|models|media|signaling|turn)/';
// The composition root reads the service config and wires every layer; src/config.ts is its input.
const COMPOSITION_ROOT = '^src/(main\\.ts|Facegate[^/]*\\.ts|config\\.ts)$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'common-imports-only-zod',
      comment: 'common/ is the bottom layer: it imports nothing of the project and no package but zod.',
      severity: 'error',
      from: { path: '^common/' },
      to: { pathNot: ['^common/', '(^|/)node_modules/zod/'] },
    },
    {
      name: 'config-imports-no-module',
      comment: 'The service config (src/config.ts) is read by the composition root and handed down; it imports no module but common/ (defaults live with the schema).',
      severity: 'error',
      from: { path: '^src/config\\.ts$' },
      to: { path: PRODUCT, pathNot: '^common/' },
    },
    {
      name: 'lower-layers-never-import-src',
      comment: 'common/, models/, media/, signaling/ and turn/ sit below the service: they never import src/.',
      severity: 'error',
      from: { path: LOWER },
      to: { path: '^src/' },
    },
    {
      name: 'models-never-import-media-or-signaling',
      comment: 'Face analysis knows nothing of transport: models/ never imports media/ or signaling/.',
      severity: 'error',
      from: { path: '^models/' },
      to: { path: '^(media|signaling)/' },
    },
    {
      name: 'engine-stays-pure',
      comment:
        'The liveness engine (src/engine) decides from observations: it never imports the REST API, signaling, the composition root (and its service config), sessions, the store, or the adapters above it (src/bridge).',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: ['^src/api/', '^signaling/', COMPOSITION_ROOT, '^src/sessions/', '^src/store/', '^src/bridge/'] },
    },
    {
      name: 'storage-never-imports-sessions-or-engine',
      comment: 'Storage (src/store, src/state) holds records; it never imports the session service or the engine.',
      severity: 'error',
      from: { path: '^src/(store|state)/' },
      to: { path: '^src/(sessions|engine)/' },
    },
    {
      name: 'product-never-imports-tools',
      comment: 'Product code never imports tests, test doubles or scripts.',
      severity: 'error',
      from: { path: PRODUCT },
      to: { path: '^(test|scripts)/' },
    },
    {
      name: 'no-cycles-in-product',
      comment: 'No import cycle anywhere in product code.',
      severity: 'error',
      from: { path: PRODUCT },
      to: { path: PRODUCT, circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing is a broken build (or a rule that silently stops checking).',
      severity: 'error',
      from: { path: PRODUCT },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
