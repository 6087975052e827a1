import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigValidationError } from './config-validation-error.js';

/** Reads a YAML (.yaml/.yml) or JSON (.json) config file into a plain value. Errors name the file and position. */
export function readConfigFile(file: string): unknown {
  const text = readText(file);
  const ext = extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return parseYamlText(text, file);
  if (ext === '.json') return parseJsonText(text, file);
  throw fileError(file, `unsupported config file extension "${ext || '(none)'}": use .yaml, .yml or .json`);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fileError(file, code === 'ENOENT' ? 'file not found' : `cannot read file: ${(error as Error).message}`);
  }
}

export function parseYamlText(text: string, file: string): unknown {
  // uniqueKeys (the default) makes a repeated key an error instead of "last one wins"
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const errors = doc.errors;
  if (errors.length > 0) {
    throw new ConfigValidationError(
      errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
        return { path: '', message: `YAML syntax error${where}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` };
      }),
      file,
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) throw fileError(file, 'the config file is empty');
  return value;
}

export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position ? ` at ${lineColumn(text, Number(position[1]))}` : '';
    throw fileError(file, `JSON syntax error${where}: ${message}`);
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function fileError(file: string, message: string): ConfigValidationError {
  return new ConfigValidationError([{ path: '', message }], file);
}
