// The built-in rewards. Formulas and parameters: docs/rewards.md.
export { ExactMatchReward, ExactMatchParams } from './exact-match-reward.js';
export { LengthReward, LengthParams, lengthScore } from './length-reward.js';
export { SentimentReward, SentimentParams, sentimentScore } from './sentiment-reward.js';
export { CoherenceReward, CoherenceParams, coherenceScore, sentenceLengthScore } from './coherence-reward.js';
export { MathReward, MathParams } from './math-reward.js';
export { extractFinalAnswer, normalizeAnswer, answersMatch, referenceAnswer, type ExtractedAnswer, type NormalizedAnswer } from './math-answer.js';
export { CodeReward, CodeParams } from './code-reward.js';
export { extractCode, testCases, type CodeBlock, type CodeLanguage } from './code-extract.js';
export { SafetyReward, SafetyParams } from './safety-reward.js';
export { safetyFindings, SAFETY_CATEGORIES, type SafetyFinding, type SafetyCategory } from './safety-lexicon.js';
export { ThinkFormatReward, ThinkFormatParams } from './think-format-reward.js';
export { OverlongReward, OverlongParams, overlongPenalty } from './overlong-reward.js';
export { distinctN, sentences, words } from './text-stats.js';
