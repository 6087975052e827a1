import { describe, expect, it } from 'vitest';
import { runNpm } from '../helpers/packed-install.js';
import { REPO_ROOT } from '../helpers/temp-project.js';

/**
 * The repository's own npm configuration: onnxruntime-node's GPU download is denied through package.json's
 * `allowScripts` (npm ≥ 11 blocks dependency install scripts unless approved), not through an .npmrc key that
 * npm warns it will drop.
 */
describe("the repository's npm configuration", () => {
  it('makes npm and npx print no warning', async () => {
    const run = await runNpm('npx', ['aligntune', '--version'], REPO_ROOT);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/npm warn/i);
  });

  it('covers every dependency install script: onnxruntime-node\'s download is denied', async () => {
    const run = await runNpm('npm', ['install-scripts', 'ls'], REPO_ROOT);
    expect(run.code, run.stderr).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/npm warn|not yet covered/i);
    expect(run.stdout).toContain('No packages with unreviewed install scripts');
  });
});
