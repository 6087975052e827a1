/**
 * Templates a config may name instead of writing Jinja (`chat_template: chatml`). `plain` renders turns as
 * Anthropic's "\n\nHuman: ...\n\nAssistant: ..." text with no special tokens; it is also the fallback for
 * message prompts when neither the config nor the tokenizer has a template (base models such as GPT-2).
 */
export const NAMED_CHAT_TEMPLATES: Readonly<Record<string, string>> = {
  chatml:
    "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
  plain:
    "{%- for message in messages %}{%- if message['role'] == 'user' %}{{- '\\n\\nHuman: ' + message['content'] }}" +
    "{%- elif message['role'] == 'assistant' %}{{- '\\n\\nAssistant: ' + message['content'] }}" +
    "{%- else %}{{- message['content'] }}{%- endif %}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '\\n\\nAssistant:' }}{%- endif %}",
};

/** The Jinja text of a `chat_template` setting: a named template, or the Jinja itself. */
export function resolveChatTemplate(setting: string): string {
  if (setting.includes('{')) return setting;
  const named = NAMED_CHAT_TEMPLATES[setting];
  if (named === undefined) {
    throw new Error(`chat_template "${setting}" is neither Jinja nor a known template name (${Object.keys(NAMED_CHAT_TEMPLATES).join(', ')})`);
  }
  return named;
}
