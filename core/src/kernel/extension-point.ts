/**
 * Extension points: the kinds of things a plugin can contribute. Each is a typed token (Eclipse Theia's
 * contribution-provider pattern); the kernel keeps one string-keyed registry per point and rejects duplicates.
 * Tokens use Symbol.for so two copies of @aligntune/core in one process still agree.
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

/** A typed token for one extension point. `T` is the instance type contributions provide. */
export interface ExtensionPoint<T> {
  readonly kind: ExtensionKind;
  readonly token: symbol;
  /** Phantom field: carries T for type inference only. */
  readonly __type?: T;
}

export function extensionPoint<T>(kind: ExtensionKind): ExtensionPoint<T> {
  return { kind, token: Symbol.for(`aligntune.extension.${kind}`) };
}

export function isExtensionKind(value: string): value is ExtensionKind {
  return (EXTENSION_KINDS as readonly string[]).includes(value);
}
