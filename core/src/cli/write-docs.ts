import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { renderConfigReference, type DocumentedContribution } from '../config/config-reference.js';
import { JSON_SCHEMA_PATH, renderJsonSchema } from '../config/write-json-schema.js';
import { EXTENSION_KINDS } from '../kernel/extension-point.js';
import { Kernel } from '../kernel/kernel.js';
import { UnifiedLogger } from '../kernel/unified-logger.js';
import { prepareKernel } from '../training/run-context.js';
import { renderCliReference } from './cli-reference.js';
import { buildProgram } from './run-cli.js';

/** Where the generated references live, relative to the repository root. */
export const CONFIG_REFERENCE_PATH = 'docs/reference/configuration.md';
export const CLI_REFERENCE_PATH = 'docs/reference/cli.md';

export interface GeneratedDocs {
  /** repository-relative path → exact file text */
  files: Map<string, string>;
  /** plugins that failed to load here, so their options are missing from the configuration reference */
  failedPlugins: string[];
}

/**
 * Renders every generated document: the configuration reference, the CLI reference and the JSON Schema.
 * The staleness tests compare the committed files with these texts.
 */
export async function renderGeneratedDocs(projectDir: string = process.cwd()): Promise<GeneratedDocs> {
  const { text, failedPlugins } = await configReference(projectDir);
  const files = new Map([
    [CONFIG_REFERENCE_PATH, text],
    [CLI_REFERENCE_PATH, cliReference()],
    [JSON_SCHEMA_PATH, renderJsonSchema()],
  ]);
  return { files, failedPlugins };
}

/** The configuration reference: core config classes plus the options/params classes of `projectDir`'s plugins. */
export async function configReference(projectDir: string = process.cwd()): Promise<{ text: string; failedPlugins: string[] }> {
  const kernel = await prepareKernel({ kernel: new Kernel(), projectDir });
  await kernel.loadAll();
  const failedPlugins = kernel.failedPlugins().map((state) => state.name);
  return { text: renderConfigReference(installedContributions(kernel)), failedPlugins };
}

/** The CLI reference: every command of the program `aligntune` runs. */
export function cliReference(): string {
  return renderCliReference(documentedProgram());
}

/** The CLI's program, built to be walked (never run), so its context needs no working kernel or output. */
export function documentedProgram(): Command {
  const silent = () => undefined;
  return buildProgram({
    io: { stdout: silent, stderr: silent },
    logger: new UnifiedLogger({ console: false }),
    globals: () => ({}),
    projectKernel: () => Promise.reject(new Error('the docs generator does not run commands')),
    setExitCode: silent,
  });
}

/** Writes the generated documents under `root`; returns them, with the plugins that failed to load. */
export async function writeGeneratedDocs(root: string = process.cwd()): Promise<GeneratedDocs> {
  const docs = await renderGeneratedDocs(root);
  for (const [path, text] of docs.files) {
    mkdirSync(dirname(resolve(root, path)), { recursive: true });
    writeFileSync(resolve(root, path), text);
  }
  return docs;
}

function installedContributions(kernel: Kernel): DocumentedContribution[] {
  return EXTENSION_KINDS.flatMap((kind) =>
    kernel.ids(kind).flatMap((id) => {
      const record = kernel.record(kind, id);
      return record ? [{ kind, id, metadata: record.metadata, source: record.source }] : [];
    }),
  );
}

// Run as a script (`npm run docs`), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { files, failedPlugins } = await writeGeneratedDocs();
  for (const path of files.keys()) console.log(`wrote ${path}`);
  if (failedPlugins.length > 0) {
    console.warn(`warning: not documented, failed to load (see \`aligntune plugins\`): ${failedPlugins.join(', ')}`);
  }
}
