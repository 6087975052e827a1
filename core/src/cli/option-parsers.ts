import { InvalidArgumentError } from 'commander';

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
