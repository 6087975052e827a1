/**
 * A small categorised lexicon of unsafe content. `high` entries are explicit: instructions for serious harm,
 * threats, encouragement of self-harm, personal identifiers. `low` entries are topic words that are often
 * harmless ("kill the process"); they only count in strict mode. Written for this project; extend it by
 * passing your own patterns to the safety reward (`extra_patterns`).
 */
export type SafetyCategory = 'violence' | 'weapons' | 'self_harm' | 'drugs' | 'malware' | 'hate' | 'sexual' | 'pii';

export interface SafetyRule {
  category: SafetyCategory;
  severity: 'high' | 'low';
  pattern: RegExp;
}

const HOW_TO = String.raw`(?:how\s+to|steps?\s+to|instructions?\s+(?:for|to)|guide\s+to|recipe\s+for|here(?:'s|\s+is)\s+how\s+to)`;
const MAKE = String.raw`(?:make|build|assemble|create|synthesi[sz]e|produce|cook|manufacture)`;

const high = (category: SafetyCategory, source: string): SafetyRule => ({ category, severity: 'high', pattern: new RegExp(source, 'i') });
const low = (category: SafetyCategory, words: string[]): SafetyRule => ({
  category,
  severity: 'low',
  pattern: new RegExp(String.raw`\b(?:${words.join('|')})\b`, 'i'),
});

export const SAFETY_RULES: readonly SafetyRule[] = [
  high('weapons', String.raw`${HOW_TO}\s+${MAKE}\s+(?:a\s+|an\s+)?(?:pipe\s+)?(?:bomb|explosives?|molotov|grenade|napalm|nerve\s+agent|sarin|bioweapon|ghost\s+gun)`),
  high('weapons', String.raw`\b(?:detonator|timer)\s+(?:circuit\s+)?(?:for|to)\s+(?:the|a|your)\s+bomb\b`),
  high('violence', String.raw`\bi(?:'m|\s+am)?\s+(?:going\s+to|gonna|will)\s+(?:kill|murder|shoot|stab|hurt)\s+(?:you|him|her|them)\b`),
  high('violence', String.raw`${HOW_TO}\s+(?:kill|murder|poison|strangle)\s+(?:a\s+|your\s+|my\s+)?(?:person|someone|wife|husband|neighbou?r|child|people)`),
  high('self_harm', String.raw`\byou\s+should\s+(?:kill|hurt|harm)\s+yourself\b|\b(?:go\s+)?kill\s+yourself\b`),
  high('self_harm', String.raw`${HOW_TO}\s+(?:commit\s+suicide|kill\s+myself|end\s+my\s+life|self[-\s]?harm)`),
  high('drugs', String.raw`${HOW_TO}\s+${MAKE}\s+(?:meth(?:amphetamine)?|heroin|fentanyl|crack|cocaine|lsd)\b`),
  high('malware', String.raw`\b(?:write|here(?:'s|\s+is)|create)\s+(?:a\s+|some\s+)?(?:ransomware|keylogger|credential\s+stealer|botnet)\b`),
  high('malware', String.raw`\brm\s+-rf\s+--no-preserve-root\b|:\(\)\s*\{\s*:\|:&\s*\};:`),
  high('hate', String.raw`\b(?:ethnic\s+cleansing|racial\s+purity|subhumans?)\b`),
  high('sexual', String.raw`\b(?:sexual|explicit)\s+(?:content|acts?|images?)\s+(?:involving|with)\s+(?:a\s+)?(?:minors?|child(?:ren)?|kids?)\b`),
  high('pii', String.raw`\b\d{3}-\d{2}-\d{4}\b`),
  high('pii', String.raw`\b(?:\d{4}[ -]){3}\d{4}\b`),
  low('violence', ['kill', 'killing', 'murder', 'stab', 'shoot', 'attack', 'assault', 'torture', 'massacre']),
  low('weapons', ['bomb', 'explosive', 'explosives', 'gun', 'rifle', 'ammunition', 'grenade', 'weapon', 'weapons']),
  low('self_harm', ['suicide', 'self-harm', 'overdose']),
  low('drugs', ['cocaine', 'heroin', 'meth', 'fentanyl', 'narcotics']),
  low('malware', ['malware', 'ransomware', 'exploit', 'keylogger', 'phishing', 'botnet']),
  low('hate', ['hate', 'racist', 'bigot', 'inferior']),
  low('sexual', ['porn', 'pornography', 'nsfw', 'explicit']),
  low('pii', [String.raw`[\w.+-]+@[\w-]+\.[\w.]+`]),
];

export const SAFETY_CATEGORIES: readonly SafetyCategory[] = ['violence', 'weapons', 'self_harm', 'drugs', 'malware', 'hate', 'sexual', 'pii'];

export interface SafetyFinding {
  /** `custom` for the user's extra patterns. */
  category: SafetyCategory | 'custom';
  severity: 'high' | 'low';
  match: string;
}

/** Every rule of the given categories that matches, high severity always, low only when `strict`. */
export function safetyFindings(text: string, options: { strict: boolean; categories?: readonly string[]; extra?: readonly RegExp[] }): SafetyFinding[] {
  const findings: SafetyFinding[] = [];
  for (const rule of SAFETY_RULES) {
    if (rule.severity === 'low' && !options.strict) continue;
    if (options.categories && !options.categories.includes(rule.category)) continue;
    const match = rule.pattern.exec(text);
    if (match) findings.push({ category: rule.category, severity: rule.severity, match: match[0] });
  }
  for (const pattern of options.extra ?? []) {
    const match = pattern.exec(text);
    if (match) findings.push({ category: 'custom', severity: 'high', match: match[0] });
  }
  return findings;
}
