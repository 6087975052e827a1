/**
 * Makes a decoded value JSON-compatible: parquet INT64 arrives as BigInt (a number when it is exactly
 * representable, else its decimal string, since JSON.stringify throws on BigInt), timestamps as Date.
 */
export function toJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map(toJsonValue);
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) result[key] = toJsonValue(item);
  return result;
}
