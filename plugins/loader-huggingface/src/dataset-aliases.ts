/** Short names that mean a Hub dataset and config (as `load_dataset("gsm8k", "main")` users write). */
const ALIASES: Record<string, { name: string; subset?: string }> = {
  gsm8k: { name: 'openai/gsm8k', subset: 'main' },
};

/** The Hub id and config for a dataset name; an explicit subset wins over the alias's. */
export function resolveAlias(name: string, subset?: string): { name: string; subset?: string } {
  const alias = name.includes('/') ? undefined : ALIASES[name.toLowerCase()];
  return alias ? { name: alias.name, subset: subset ?? alias.subset } : { name, subset };
}
