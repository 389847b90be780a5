// Chat templates: tokenizer_config.json's `chat_template` (Jinja) rendered by @huggingface/jinja
// with the variables transformers' apply_chat_template gives it (messages, add_generation_prompt,
// the special tokens; the engine brings raise_exception and strftime_now), and the same template as the DialogueAdapter's
// { prefix, suffix } (found by rendering one message around a marker).
import { Template } from '@huggingface/jinja';

export interface ChatTurn {
  role: string;
  content: string;
}

export interface ChatTemplateOptions {
  /** End with the assistant's opening, so a model continues as the assistant. Default false. */
  addGenerationPrompt?: boolean;
  /** More variables for the template (tools, documents, ...). */
  extra?: Record<string, unknown>;
}

/** A chat template that cannot be parsed or rendered; names the template's source and the fix. */
export class ChatTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChatTemplateError';
  }
}

const SPECIAL = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/** A compiled chat template with the special tokens of its tokenizer_config.json. */
export class ChatTemplate {
  private readonly template: Template;
  private readonly specials: Record<string, string>;

  constructor(source: string, config: Record<string, unknown> = {}) {
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new ChatTemplateError(`chat template: tokenizer_config.json's chat_template does not parse as Jinja (${(err as Error).message}); fix the template`);
    }
    this.specials = {};
    for (const name of SPECIAL) {
      const text = tokenText(config[name]);
      if (text !== undefined) this.specials[name] = text;
    }
  }

  /** The conversation as text, as transformers' apply_chat_template(messages, tokenize=False) writes it. */
  render(messages: ChatTurn[], options: ChatTemplateOptions = {}): string {
    if (!Array.isArray(messages)) throw new TypeError(`chat template: messages must be an array of { role, content }, got ${typeof messages}`);
    messages.forEach((m, i) => {
      if (!m || typeof m.role !== 'string' || typeof m.content !== 'string') throw new TypeError(`chat template: message ${i} must be { role: string, content: string }, got ${JSON.stringify(m)}`);
    });
    try {
      return this.template.render({
        ...this.specials,
        ...options.extra,
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? false,
      });
    } catch (err) {
      // raise_exception (the engine's own) and runtime errors alike: the template's message, verbatim.
      throw new ChatTemplateError(`chat template refused the conversation or failed to render: ${(err as Error).message}`);
    }
  }

  /**
   * The template as the DialogueAdapter's { prefix(role), suffix(role) }: one message of each role
   * rendered around a marker. Exact for templates that write each message on its own (ChatML and
   * most others); a template that changes a message by its position (a system prompt folded into the
   * first user turn, BOS only at the start) is approximated by a lone message of that role.
   */
  dialogueTemplate(): { prefix(role: string): string; suffix(role: string): string } {
    const MARK = '\u0000torchtrain-chat-marker\u0000';
    const cache = new Map<string, [string, string]>();
    const parts = (role: string): [string, string] => {
      let found = cache.get(role);
      if (!found) {
        const text = this.render([{ role, content: MARK }]);
        const at = text.indexOf(MARK);
        if (at < 0) throw new ChatTemplateError(`chat template: a lone '${role}' message does not show its content, so it has no prefix and suffix; use DialogueAdapter's own ChatTemplate`);
        found = [text.slice(0, at), text.slice(at + MARK.length)];
        cache.set(role, found);
      }
      return found;
    };
    return { prefix: (role) => parts(role)[0], suffix: (role) => parts(role)[1] };
  }
}
