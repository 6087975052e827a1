import { Template } from '@huggingface/jinja';

/**
 * One chat message as a template sees it. Objects with more fields (tool_calls, reasoning_content, ...)
 * can be passed; the template reads them. The data layer's ChatMessage is assignable to it.
 */
export interface TemplateMessage {
  readonly role: string;
  readonly content: string;
}

export interface ChatTemplateOptions {
  /** Append the assistant header so the model continues as the assistant (default false). */
  readonly addGenerationPrompt?: boolean;
  readonly tools?: readonly unknown[];
  readonly documents?: readonly unknown[];
  /** Pick a named template when tokenizer_config has several (default: `tool_use` when tools are given and it exists, else `default`). */
  readonly templateName?: string;
  /** Use this template text instead of the tokenizer's. */
  readonly chatTemplate?: string;
  /** Further variables for the template (e.g. enable_thinking). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** `chat_template` of tokenizer_config.json: one template, or named ones as a list of {name, template}. */
export type ChatTemplateField = string | readonly { readonly name: string; readonly template: string }[] | Readonly<Record<string, string>>;

/** Chooses the template text as transformers does; throws when there is none. */
export function selectChatTemplate(field: ChatTemplateField | undefined, options: ChatTemplateOptions, source: string): string {
  if (options.chatTemplate !== undefined) return options.chatTemplate;
  if (field === undefined) {
    throw new Error(`${source}: the tokenizer has no chat_template; pass chatTemplate or use a chat model's tokenizer`);
  }
  if (typeof field === 'string') return field;
  const named = new Map(Array.isArray(field) ? field.map((t) => [t.name, t.template] as const) : Object.entries(field));
  const name = options.templateName ?? (options.tools && named.has('tool_use') ? 'tool_use' : 'default');
  const text = named.get(name);
  if (text === undefined) throw new Error(`${source}: no chat template named "${name}" (available: ${[...named.keys()].join(', ')})`);
  return text;
}

const compiled = new Map<string, Template>();

/**
 * Renders a template with the variables transformers passes: messages, add_generation_prompt, tools,
 * documents, the special tokens as strings (bos_token, eos_token, ...), then caller extras.
 */
export function renderChatTemplate(
  template: string,
  messages: readonly TemplateMessage[],
  specialTokens: Readonly<Record<string, string>>,
  options: ChatTemplateOptions = {},
): string {
  let t = compiled.get(template);
  if (!t) {
    t = new Template(template);
    compiled.set(template, t);
  }
  // transformers passes tools/documents as None when absent, so `tools is none` holds in templates.
  return t.render({
    messages,
    tools: options.tools ?? null,
    documents: options.documents ?? null,
    add_generation_prompt: options.addGenerationPrompt ?? false,
    ...specialTokens,
    ...options.extra,
  });
}
