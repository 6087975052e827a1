import { findPython, runSandboxed } from '@aligntune/core/training';
import type { CodeLanguage } from './code-extract.js';

type TypeScriptApi = typeof import('typescript');
let typescript: Promise<TypeScriptApi> | undefined;

/** The compiler is large, so it is loaded on the first JavaScript/TypeScript completion, not with the plugin. */
export function loadTypeScript(): Promise<TypeScriptApi> {
  typescript ??= import('typescript').then((module) => ((module as { default?: TypeScriptApi }).default ?? module) as TypeScriptApi);
  return typescript;
}

/**
 * Parse-level check: true when the code parses, false when it does not, null when no checker exists here
 * (python3 missing). JavaScript/TypeScript go through the TypeScript parser in-process (parsing runs none of
 * the code); Python through `compile()` in the sandbox, which also only parses.
 */
export async function syntaxOk(language: CodeLanguage, code: string): Promise<boolean | null> {
  if (language === 'python') return pythonSyntaxOk(code);
  const ts = await loadTypeScript();
  const result = ts.transpileModule(code, {
    fileName: language === 'typescript' ? 'solution.ts' : 'solution.js',
    reportDiagnostics: true,
    compilerOptions: { allowJs: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS },
  });
  return (result.diagnostics ?? []).length === 0;
}

async function pythonSyntaxOk(code: string): Promise<boolean | null> {
  const python = await findPython();
  if (!python) return null;
  const result = await runSandboxed({
    files: {},
    argv: () => [python.path, '-c', "import sys; compile(sys.stdin.read(), 'solution.py', 'exec')"],
    stdin: code,
    readOnlyPaths: python.readOnlyPaths,
    limits: { cpuSeconds: 5, timeoutMs: 10_000 },
  });
  return result.exitCode === 0;
}

/** TypeScript to JavaScript (CommonJS script), for execution; type errors are not checked. */
export async function transpileTypeScript(code: string): Promise<string> {
  const ts = await loadTypeScript();
  return ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText;
}
