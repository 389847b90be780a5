// The dialogue adapter: chat turns with roles become token ids through a chat template, with
// the loss on the assistant's turns only (every other position's label is the ignore index).
// It works on samples (use it to map a dataset before collation); the model call itself is a
// causal LM's, so its forward is the standard adapter's.
import { type Batch, type ModelOutput } from '../../loss/types.js';
import { type Module } from '../../nn/module.js';
import { type TaskSpec } from '../../task/spec.js';
import { type Tokenizer } from '../../data/tokenizers.js';
import { type ModelAdapter, StandardAdapter } from './adapter.js';

export interface ChatMessage { role: 'system' | 'user' | 'assistant'; content: string }
export type { Tokenizer };

/** How a turn is written around its content (ChatML-like by default). */
export interface ChatTemplate {
  prefix(role: ChatMessage['role']): string;
  suffix(role: ChatMessage['role']): string;
}

export const chatMlTemplate: ChatTemplate = {
  prefix: (role) => `<|${role}|>\n`,
  suffix: () => '\n<|end|>\n',
};

export class DialogueAdapter implements ModelAdapter {
  readonly name = 'dialogue';
  private readonly standard = new StandardAdapter();

  constructor(readonly tokenizer: Pick<Tokenizer, 'encode'>, readonly template: ChatTemplate = chatMlTemplate) {}

  /**
   * One conversation -> { input_ids, labels }: labels copy the ids of assistant content (and
   * its closing suffix, so the model learns to stop) and hold ignoreIndex elsewhere.
   */
  encode(messages: ChatMessage[], ignoreIndex = -100): { input_ids: number[]; labels: number[] } {
    if (!Array.isArray(messages) || messages.length === 0) throw new TypeError('DialogueAdapter.encode: expected a non-empty array of { role, content } messages');
    const ids: number[] = [], labels: number[] = [];
    messages.forEach((m, i) => {
      if (!['system', 'user', 'assistant'].includes(m?.role) || typeof m.content !== 'string') {
        throw new TypeError(`DialogueAdapter.encode: message ${i} must be { role: 'system' | 'user' | 'assistant', content: string }, got ${JSON.stringify(m)}`);
      }
      const learn = m.role === 'assistant';
      const head = this.tokenizer.encode(this.template.prefix(m.role));
      const body = this.tokenizer.encode(m.content + this.template.suffix(m.role));
      ids.push(...head, ...body);
      labels.push(...head.map(() => ignoreIndex), ...body.map((t) => (learn ? t : ignoreIndex)));
    });
    return { input_ids: ids, labels };
  }

  forward(model: Module, batch: Batch, task: TaskSpec): ModelOutput {
    return this.standard.forward(model, batch, task);
  }
}
