export { ConversationTask } from './conversation-task.js';
export { ClassificationTask } from './classification-task.js';
export { SummarizationTask } from './summarization-task.js';
export { MathTask, MATH_INSTRUCTION } from './math-task.js';
export { CodeTask } from './code-task.js';
export { InstructionParams, ClassificationParams } from './task-params.js';
export { withInstruction } from './instruction.js';
