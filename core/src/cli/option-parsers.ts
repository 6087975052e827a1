import { InvalidArgumentError } from 'commander';
import { SAVE_DTYPES, type SaveDtype } from '../config/training-config.js';

/** Commander argument parsers with messages that quote the bad value. */
export function positiveInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError(`must be a positive integer (got "${value}")`);
  return number;
}

export function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`must be a positive number (got "${value}")`);
  return number;
}

/** A published model's dtype, spelled as torch names it (train.save_dtype's values). */
export function saveDtype(value: string): SaveDtype {
  if (!(SAVE_DTYPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${SAVE_DTYPES.join(', ')} (got "${value}")`);
  return value as SaveDtype;
}
