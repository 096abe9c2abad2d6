// The layer rules (.dependency-cruiser.cjs at the repository root) run
// through dependency-cruiser's API on any tree: the repository itself
// (`npm run lint:layers`) or a scratch copy with an injected import
// (test/architecture.test.ts). The API, not the depcruise CLI: the CLI
// refuses Node 20, the API runs on it.
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise, format, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Product code and the tools beside it: every folder the rules speak about. */
export const CHECKED_DIRS = ['common', 'src', 'media', 'models', 'signaling', 'turn', 'scripts', 'test'] as const;

export interface LayerViolation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
  /** For a cycle: the modules on it, in order. */
  readonly cycle: readonly string[];
}

export interface LayerReport {
  readonly violations: readonly LayerViolation[];
  readonly modules: number;
  readonly dependencies: number;
  /** dependency-cruiser's own 'err' report (one line per violation and a summary). */
  readonly text: string;
}

export function loadLayerRules(): IConfiguration {
  return createRequire(import.meta.url)(path.join(REPO_ROOT, '.dependency-cruiser.cjs')) as IConfiguration;
}

/** Cruises `dirs` (relative to `baseDir`) under the repository's rules. */
export async function checkLayers(baseDir: string = REPO_ROOT, dirs: readonly string[] = CHECKED_DIRS): Promise<LayerReport> {
  const rules = loadLayerRules();
  const present = dirs.filter((d) => d.length > 0);
  const r = await cruise([...present], { ...rules.options, baseDir, validate: true, ruleSet: { forbidden: rules.forbidden ?? [] }, outputType: 'json' });
  const result = (typeof r.output === 'string' ? JSON.parse(r.output) : r.output) as ICruiseResult;
  const text = await format(result, { outputType: 'err' });
  return {
    violations: (result.summary.violations ?? []).map((v) => ({
      rule: v.rule.name,
      from: v.from,
      to: v.to,
      cycle: (v.cycle ?? []).map((c) => (typeof c === 'string' ? c : c.name)),
    })),
    modules: result.summary.totalCruised,
    dependencies: result.summary.totalDependenciesCruised ?? 0,
    text: typeof text.output === 'string' ? text.output : '',
  };
}
