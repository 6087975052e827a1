import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';
import { FIXTURE_PLUGINS, tempDir } from '../helpers/temp-project.js';

/** An application depending on the fixture logger plugin, linked into its node_modules. */
function projectWithSyncLogger(): string {
  const dir = tempDir('aligntune-sync-alias-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', dependencies: { 'aligntune-plugin-fixture-sync-logger': '*' } }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(FIXTURE_PLUGINS, 'sync-logger'), join(dir, 'node_modules', 'aligntune-plugin-fixture-sync-logger'), 'dir');
  return dir;
}

describe('aligntune <logger> sync', () => {
  it('is `aligntune logger sync <logger>` for any installed metric logger, not only wandb', async () => {
    const project = projectWithSyncLogger();
    const run = join(project, 'offline-run');
    mkdirSync(run);
    const aliased = await cli('--project', project, 'fixture-sync', 'sync', run);
    expect(aliased.code, aliased.stderr).toBe(0);
    expect(JSON.parse(aliased.stdout)).toEqual({ logger: 'fixture-sync', dir: run, uploaded: 0, run_id: 'fixture-run', url: `fixture://${run}` });
    const long = await cli(`--project=${project}`, 'logger', 'sync', 'fixture-sync', run);
    expect(long.stdout).toBe(aliased.stdout);
  });

  it('leaves a name that is neither a command nor an installed logger to the unknown-command error', async () => {
    const unknown = await cli('--project', projectWithSyncLogger(), 'nosuchlogger', 'sync', '.');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'nosuchlogger'");
  });
});
