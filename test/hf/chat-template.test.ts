// Chat templates from tokenizer_config.json through @huggingface/jinja: the rendered text and the
// ids equal transformers' apply_chat_template (a ChatML template and a Llama-2-style one with
// bos_token, strip and raise_exception), and the template feeds the DialogueAdapter.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, hf } from '../../lib/index.js';
import { type HfPython, startHfPython, tempDir } from './hf-python.js';

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

const CONVERSATIONS = [
  [{ role: 'user', content: 'Call me Ishmael.' }],
  [{ role: 'system', content: 'You are a whaler.' }, { role: 'user', content: '  Where is the white whale?  ' }, { role: 'assistant', content: 'Off the starboard bow!' }, { role: 'user', content: 'Lower the boats — naïve 🐋' }],
];

let env: HfPython | null = null;
let dir = '';
beforeAll(async () => {
  env = await startHfPython();
  if (!env) return;
  dir = tempDir('chat');
  await env.py.run(`
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<s>', '</s>'], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
tok.train_from_iterator(['Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse.'] * 20, trainer)
tok.save(dir + '/tokenizer.json')
out = None`, { dir });
}, 120_000);
afterAll(() => env?.py.close());

function withTemplate(template: string): string {
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<s>', eos_token: '</s>', chat_template: template }));
  return dir;
}

async function transformersChat(folder: string, messages: unknown, generation: boolean): Promise<{ text: string; ids: number[] }> {
  return env!.py.run(`
from transformers import AutoTokenizer
t = AutoTokenizer.from_pretrained(folder)
text = t.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)
ids = t.apply_chat_template(messages, tokenize=True, add_generation_prompt=generation)
if hasattr(ids, 'keys'):
    ids = ids['input_ids']
out = {'text': text, 'ids': list(ids)}`, { folder, messages, generation });
}

describe('chat templates against transformers', () => {
  for (const [name, template] of [['ChatML', CHATML], ['Llama-2 style', LLAMA2]] as const) {
    it(`${name}: text and ids equal apply_chat_template's`, async (ctx) => {
      if (!env) return ctx.skip();
      const tokenizer = hf.HfTokenizer.fromFolder(withTemplate(template));
      for (const messages of CONVERSATIONS) {
        for (const generation of [false, true]) {
          const theirs = await transformersChat(dir, messages, generation);
          expect(tokenizer.applyChatTemplate(messages, { addGenerationPrompt: generation })).toBe(theirs.text);
          expect(tokenizer.encodeChat(messages, { addGenerationPrompt: generation })).toEqual(theirs.ids);
        }
      }
    }, 120_000);
  }

  it('raise_exception in a template becomes a ChatTemplateError', async (ctx) => {
    if (!env) return ctx.skip();
    const tokenizer = hf.HfTokenizer.fromFolder(withTemplate(LLAMA2));
    expect(() => tokenizer.applyChatTemplate([{ role: 'assistant', content: 'Ahoy' }])).toThrow(/refused the conversation or failed to render: Conversation roles must alternate/);
    expect(() => new hf.ChatTemplate('{% for x in %}')).toThrow(/does not parse as Jinja/);
    writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>' }));
    expect(() => hf.HfTokenizer.fromFolder(dir).applyChatTemplate([])).toThrow(/has no chat_template/);
  });

  it('the template feeds the DialogueAdapter: its ids spell the rendered conversation, labels on the assistant only', async (ctx) => {
    if (!env) return ctx.skip();
    const tokenizer = hf.HfTokenizer.fromFolder(withTemplate(CHATML));
    const adapter = new engine.DialogueAdapter(tokenizer.plain(), tokenizer.template().dialogueTemplate());
    const messages = CONVERSATIONS[1] as engine.ChatMessage[];
    const { input_ids, labels } = adapter.encode(messages);
    expect(tokenizer.decode(input_ids, { skipSpecialTokens: false })).toBe(tokenizer.applyChatTemplate(messages));
    const learned = tokenizer.decode(input_ids.filter((_, i) => labels[i] !== -100), { skipSpecialTokens: false });
    expect(learned).toBe('Off the starboard bow!<|im_end|>\n');
  }, 60_000);
});
