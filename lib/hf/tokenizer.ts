// A Hugging Face tokenizer.json (with tokenizer_config.json) through @huggingface/tokenizers, a
// pure-JS implementation of the Rust `tokenizers` library, behind torchtrain's Tokenizer
// interface: TextCorpus, collate and the DialogueAdapter take it like any other tokenizer.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer as TokenizersJs } from '@huggingface/tokenizers';
import { type Tokenizer } from '../data/tokenizers.js';
import { ChatTemplate, type ChatTemplateOptions, type ChatTurn } from './chat-template.js';

/** The files of a tokenizer as JSON objects: what HfTokenizer is built from and savePretrained writes back. */
export interface HfTokenizerFiles {
  /** tokenizer.json. */
  tokenizer: Record<string, unknown>;
  /** tokenizer_config.json ({} when the folder has none). */
  config: Record<string, unknown>;
  /** special_tokens_map.json, when the folder has one. */
  specialTokensMap?: Record<string, unknown>;
}

export interface HfEncodeOptions {
  /** Add the model's special tokens ([CLS] ... [SEP] for BERT), as transformers does by default. Default true. */
  addSpecialTokens?: boolean;
}

function readJson(file: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`hf tokenizer: ${file} is not valid JSON (${(err as Error).message}); restore ${what} from the model's source`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError(`hf tokenizer: ${file} must hold a JSON object (${what})`);
  return parsed as Record<string, unknown>;
}

/** The name of a special token in tokenizer_config.json: a string or an AddedToken object { content }. */
function tokenName(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return null;
}

export class HfTokenizer implements Tokenizer {
  private readonly impl: TokenizersJs;
  /** Ids lie in [0, vocabSize): the vocabulary with added tokens (the model's embedding may be larger). */
  readonly vocabSize: number;

  constructor(readonly files: HfTokenizerFiles) {
    if (!files || typeof files.tokenizer !== 'object' || files.tokenizer === null) throw new TypeError('HfTokenizer: give { tokenizer: <tokenizer.json object>, config: <tokenizer_config.json object> }');
    try {
      this.impl = new TokenizersJs(files.tokenizer, files.config ?? {});
    } catch (err) {
      throw new Error(`HfTokenizer: tokenizer.json could not be read by @huggingface/tokenizers: ${(err as Error).message}`);
    }
    let top = -1;
    for (const id of this.impl.get_vocab(true).values()) top = Math.max(top, id);
    this.vocabSize = top + 1;
  }

  /** Reads tokenizer.json (required), tokenizer_config.json and special_tokens_map.json from a folder. */
  static fromFolder(dir: string): HfTokenizer {
    const file = path.join(dir, 'tokenizer.json');
    if (!existsSync(file)) {
      throw new Error(`HfTokenizer.fromFolder: ${dir} has no tokenizer.json; only fast-tokenizer folders are supported (convert a vocab.txt/merges.txt tokenizer once with transformers: AutoTokenizer.from_pretrained(dir).save_pretrained(dir))`);
    }
    const config = path.join(dir, 'tokenizer_config.json'), special = path.join(dir, 'special_tokens_map.json');
    return new HfTokenizer({
      tokenizer: readJson(file, 'tokenizer.json'),
      config: existsSync(config) ? readJson(config, 'tokenizer_config.json') : {},
      ...(existsSync(special) ? { specialTokensMap: readJson(special, 'special_tokens_map.json') } : {}),
    });
  }

  /** Text to ids, with the special tokens unless addSpecialTokens is false (transformers' tokenizer(text).input_ids). */
  encode(text: string, options: HfEncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new TypeError(`HfTokenizer.encode: text must be a string, got ${typeof text}`);
    return this.impl.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /** Ids, attention mask and token types of one text or a pair, as transformers' tokenizer(text, pair) returns them. */
  encodeWithTypes(text: string, pair?: string, options: HfEncodeOptions = {}): { ids: number[]; attentionMask: number[]; tokenTypeIds: number[] } {
    const e = this.impl.encode(text, { text_pair: pair ?? null, add_special_tokens: options.addSpecialTokens ?? true, return_token_type_ids: true });
    return { ids: e.ids, attentionMask: e.attention_mask, tokenTypeIds: e.token_type_ids };
  }

  /** Ids to text; special tokens are dropped unless skipSpecialTokens is false. */
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    return this.impl.decode(Array.from(ids), { skip_special_tokens: options.skipSpecialTokens ?? true });
  }

  /** The id of a token string, or undefined when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.impl.token_to_id(token);
  }

  private special(name: string): number | null {
    const token = tokenName(this.files.config[name]) ?? tokenName(this.files.specialTokensMap?.[name]);
    return token === null ? null : this.impl.token_to_id(token) ?? null;
  }

  /** The padding id (tokenizer_config's pad_token), for collate's padding; null when the tokenizer has none. */
  get padTokenId(): number | null {
    return this.special('pad_token');
  }

  get maskTokenId(): number | null {
    return this.special('mask_token');
  }

  get clsTokenId(): number | null {
    return this.special('cls_token');
  }

  get sepTokenId(): number | null {
    return this.special('sep_token');
  }

  get bosTokenId(): number | null {
    return this.special('bos_token');
  }

  get eosTokenId(): number | null {
    return this.special('eos_token');
  }

  /** The chat template of tokenizer_config.json (a Jinja string), when it has one. */
  get chatTemplate(): string | null {
    const t = this.files.config.chat_template;
    return typeof t === 'string' ? t : null;
  }

  private compiled: ChatTemplate | undefined;

  /** tokenizer_config.json's chat template, compiled; an error names the fix when there is none. */
  template(): ChatTemplate {
    const source = this.chatTemplate;
    if (source === null) throw new Error('HfTokenizer: tokenizer_config.json has no chat_template (a string); add one, or give the DialogueAdapter its own template');
    this.compiled ??= new ChatTemplate(source, this.files.config);
    return this.compiled;
  }

  /** The conversation as text: transformers' apply_chat_template(messages, tokenize=False). */
  applyChatTemplate(messages: ChatTurn[], options: ChatTemplateOptions = {}): string {
    return this.template().render(messages, options);
  }

  /** The conversation as ids: transformers' apply_chat_template(messages) (the template writes the special tokens). */
  encodeChat(messages: ChatTurn[], options: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }

  /**
   * This tokenizer without automatic special tokens: for pieces of a longer text, such as the
   * DialogueAdapter's turns (`new DialogueAdapter(tokenizer.plain(), tokenizer.template().dialogueTemplate())`).
   */
  plain(): Tokenizer {
    return { vocabSize: this.vocabSize, encode: (text: string) => this.encode(text, { addSpecialTokens: false }), decode: (ids: ArrayLike<number>) => this.decode(ids) };
  }
}
