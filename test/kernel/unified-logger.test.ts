import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UnifiedLogger, redactSecrets } from '@aligntune/core';
import { tempDir } from '../helpers/temp-project.js';

// winston's Console transport writes to the console's own stderr stream.
const consoleStderr = (console as unknown as { _stderr: NodeJS.WriteStream })._stderr;
const written = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.map((call) => String(call[0])).join('');

describe('UnifiedLogger', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('writes human-readable lines to stderr only, keeping stdout clean', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(consoleStderr, 'write').mockImplementation(() => true);
    const logger = new UnifiedLogger();
    logger.info('hello');
    logger.warn('careful');
    logger.debug('hidden at info level');
    await logger.close();
    const output = written(stderr);
    expect(output).toContain('hello');
    expect(output).toContain('warn: careful');
    expect(output).not.toContain('hidden');
    expect(stdout).not.toHaveBeenCalled();
  });

  it('records JSON lines, debug included, in <output_dir>/logs/run.log while the console stays at its level', async () => {
    vi.spyOn(consoleStderr, 'write').mockImplementation(() => true);
    const dir = tempDir();
    const logger = new UnifiedLogger({ level: 'warn' });
    const file = logger.attachRunLog(dir);
    logger.debug('detail', { step: 3 });
    logger.info('progress');
    await logger.close();
    expect(file).toBe(join(dir, 'logs/run.log'));
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.message)).toEqual(['detail', 'progress']);
    expect(lines[0]).toMatchObject({ level: 'debug', step: 3, timestamp: expect.any(String) });
  });

  it('never writes secret tokens', async () => {
    vi.stubEnv('HF_TOKEN', 'hf_abcdefghijklmnopqrstuvwxyz123456');
    vi.stubEnv('WANDB_API_KEY', 'wandb-secret-key-0123456789');
    expect(redactSecrets('token hf_abcdefghijklmnopqrstuvwxyz123456 and wandb-secret-key-0123456789')).toBe('token *** and ***');
    expect(redactSecrets('hf_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz')).toBe('hf_***');
    const stderr = vi.spyOn(consoleStderr, 'write').mockImplementation(() => true);
    const dir = tempDir();
    const logger = new UnifiedLogger();
    logger.attachRunLog(dir);
    logger.info(`using ${process.env.HF_TOKEN}`);
    await logger.close();
    const everything = written(stderr) + readFileSync(join(dir, 'logs/run.log'), 'utf8');
    expect(everything).toContain('using ***');
    expect(everything).not.toContain('abcdefghijklmnop');
  });
});
