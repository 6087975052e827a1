import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/temp-project.js';

/** The export names of one entry point: runtime values and type-only names, each sorted. */
export interface ExportNames {
  values: string[];
  types: string[];
}

/** The checked-in list of @aligntune/core's public names (rewrite: `UPDATE_PUBLIC_API=1 npx vitest run test/packaging/public-api.test.ts`). */
export const PUBLIC_API_SNAPSHOT = join(REPO_ROOT, 'test/packaging/public-api.names.json');

/** core/package.json `exports`, the subpaths a user may import (package.json itself aside). */
export function coreSubpaths(): string[] {
  const { exports } = JSON.parse(readFileSync(join(REPO_ROOT, 'core/package.json'), 'utf8')) as { exports: Record<string, unknown> };
  return Object.keys(exports).filter((key) => key !== './package.json');
}

/** The import specifier of a subpath: '.' is '@aligntune/core', './engine' is '@aligntune/core/engine'. */
export const specifierOf = (subpath: string) => (subpath === '.' ? '@aligntune/core' : `@aligntune/core/${subpath.slice(2)}`);

/** The TypeScript source behind a subpath (what the built `exports` entry is compiled from). */
export function sourceOf(subpath: string): string {
  if (subpath === '.') return join(REPO_ROOT, 'core/src/index.ts');
  if (subpath === './testing') return join(REPO_ROOT, 'core/src/testing/index.ts');
  return join(REPO_ROOT, `core/src/public/${subpath.slice(2)}.ts`);
}

/** Every entry point's export names, read by the type checker so type-only exports count too. */
export function exportNamesBySubpath(): Record<string, ExportNames> {
  const config = ts.getParsedCommandLineOfConfigFile(join(REPO_ROOT, 'core/tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const subpaths = coreSubpaths();
  const program = ts.createProgram(subpaths.map(sourceOf), { ...config!.options, noEmit: true, composite: false });
  const checker = program.getTypeChecker();
  return Object.fromEntries(
    subpaths.map((subpath) => {
      const module = checker.getSymbolAtLocation(program.getSourceFile(sourceOf(subpath))!)!;
      const names: ExportNames = { values: [], types: [] };
      for (const symbol of checker.getExportsOfModule(module)) {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        (target.flags & ts.SymbolFlags.Value ? names.values : names.types).push(symbol.name);
      }
      names.values.sort();
      names.types.sort();
      return [specifierOf(subpath), names];
    }),
  );
}
