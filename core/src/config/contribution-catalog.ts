import type { ContributionMetadata } from '../kernel/contribution.js';
import type { ExtensionKind } from '../kernel/extension-point.js';

/**
 * What the config layer needs to know about installed plugins. The kernel implements it; config never
 * imports the kernel itself, so configs can be validated (and tested) without booting one.
 */
export interface ContributionCatalog {
  /** metadata of the contribution (kind, ids, params/options classes), or undefined if no plugin provides it */
  metadata(kind: ExtensionKind, id: string): ContributionMetadata | undefined;
  ids(kind: ExtensionKind): string[];
}
