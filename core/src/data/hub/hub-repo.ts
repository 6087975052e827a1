export type HubRepoType = 'model' | 'dataset';

/** A Hub repository: `{ type: 'dataset', name: 'openai/gsm8k' }`. */
export interface HubRepo {
  type: HubRepoType;
  name: string;
}

/** A file of a repo at one commit. */
export interface HubFile {
  path: string;
  size: number;
}

/** `dataset openai/gsm8k`, for messages. */
export function describeRepo(repo: HubRepo): string {
  return `${repo.type} ${repo.name}`;
}

export const COMMIT_SHA = /^[0-9a-f]{40}$/;
