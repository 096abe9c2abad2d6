// `npm run lint:layers`: the layer rules (.dependency-cruiser.cjs) over the
// repository. Prints dependency-cruiser's report; exit 1 on any violation.
//   npm run lint:layers [-- --json]
import { parseScriptArgs } from '../lib/args.ts';
import { checkLayers } from '../lib/layers.ts';

const { values } = parseScriptArgs({
  name: 'lint:layers',
  usage: 'usage: npm run lint:layers [-- --json]   layer rules over common src media models signaling turn scripts test',
  options: { json: { type: 'boolean' } },
  allowPositionals: false,
});
const report = await checkLayers();
if (values.json) process.stdout.write(`${JSON.stringify(report.violations, null, 1)}\n`);
else if (report.violations.length === 0) process.stdout.write(`layer rules: ${report.modules} modules, ${report.dependencies} dependencies, no violation\n`);
else process.stdout.write(report.text);
process.exit(report.violations.length === 0 ? 0 : 1);
