/**
 * Extension points: the kinds of things a plugin can contribute. A point is its kind plus the instance type
 * its contributions provide; the kernel keeps one string-keyed registry per kind and rejects duplicates.
 */

export type ExtensionKind =
  | 'algorithm'
  | 'dataset-loader'
  | 'schema-adapter'
  | 'reward'
  | 'task'
  | 'metric-logger'
  | 'distributed-backend'
  | 'compute-backend'
  | 'architecture';

export const EXTENSION_KINDS: readonly ExtensionKind[] = [
  'algorithm',
  'dataset-loader',
  'schema-adapter',
  'reward',
  'task',
  'metric-logger',
  'distributed-backend',
  'compute-backend',
  'architecture',
];

/** One extension point. `T` is the instance type contributions provide, so `kernel.create` is typed. */
export interface ExtensionPoint<T> {
  readonly kind: ExtensionKind;
  /** Phantom field: carries T for type inference only. */
  readonly __type?: T;
}

export function extensionPoint<T>(kind: ExtensionKind): ExtensionPoint<T> {
  return { kind };
}

export function isExtensionKind(value: string): value is ExtensionKind {
  return (EXTENSION_KINDS as readonly string[]).includes(value);
}
