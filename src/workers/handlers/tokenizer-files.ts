/** The tokenizer files of a model folder, parsed; null when the folder has none. */
import { BadInputError } from '../../engine/gpu/errors';
import type { DirReader } from '../../engine/io/model-dir';
import { decodeUtf8 } from '../../engine/io/datasets';
import type { TokenizerFiles } from '../../engine/io/tokenizer';

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
