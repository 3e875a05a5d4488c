/** A model folder's tokenizer files (tokenizer.json + tokenizer_config.json, or vocab.json + merges.txt): strict UTF-8, file-specific errors. */
import { BadInputError } from '../../errors';
import type { DirReader } from './dir-reader';
import { decodeUtf8 } from './datasets';
import { loadTokenizer, type TextTokenizer, type TokenizerFiles } from './tokenizer';

/** The files, parsed; null when the folder has none (the app loads such a model and says it cannot tokenize). */

export async function readTokenizerFiles(reader: DirReader): Promise<TokenizerFiles | null> {
  const text = async (name: string): Promise<string | undefined> => {
    const bytes = await reader.read(name);
    return bytes ? decodeUtf8(bytes, reader.describe(name)) : undefined;
  };
  const json = async (name: string): Promise<unknown> => {
    const content = await text(name);
    if (content === undefined) return undefined;
    try {
      return JSON.parse(content);
    } catch (e) {
      throw new BadInputError(reader.describe(name), null, `is not valid JSON (${(e as Error).message}); use the tokenizer files that came with the model`);
    }
  };
  const files: TokenizerFiles = { tokenizerJson: await json('tokenizer.json') };
  files.tokenizerConfig = await json('tokenizer_config.json');
  if (files.tokenizerJson === undefined) {
    files.vocabJson = await json('vocab.json');
    files.mergesTxt = await text('merges.txt');
    if (files.vocabJson === undefined && files.mergesTxt === undefined) return null;
  }
  return files;
}

/** The folder's tokenizer, loaded; an error when it has none (the CLI needs one). */
export async function readTokenizerDir(reader: DirReader): Promise<TextTokenizer> {
  const files = await readTokenizerFiles(reader);
  if (!files) throw new BadInputError(reader.describe('tokenizer.json'), null, 'is missing (and so is vocab.json + merges.txt); add the tokenizer files that came with the model');
  return loadTokenizer(files, (name) => reader.describe(name));
}
