/** `--model DIR|HUB_ID`: a local folder when the path exists, else a Hugging Face Hub model id. */
import { existsSync } from 'node:fs';
import { nodeDirReader } from '../platform/node/dir-reader';
import { nodeHubCache } from '../platform/node/hub-cache';
import { UsageError } from './errors';
import { hubDirReader, isHubModelId } from '../engine/io/hub';
import type { DirReader } from '../engine/io/dir-reader';

export interface ModelSourceOptions {
  revision?: string;
  token?: string;
}

export function modelReader(model: string, command: string, options: ModelSourceOptions = {}): { reader: DirReader; hubId: string | null } {
  if (existsSync(model)) return { reader: nodeDirReader(model), hubId: null };
  if (!isHubModelId(model)) {
    throw new UsageError(`${command}: --model "${model}" is neither a folder nor a Hugging Face model id (like FacebookAI/roberta-base)`);
  }
  let lastDraw = 0;
  const reader = hubDirReader(model, {
    cache: nodeHubCache(),
    revision: options.revision,
    token: options.token ?? process.env.HF_TOKEN,
    onProgress: ({ file, loaded, total, cached }) => {
      const now = Date.now();
      if (cached || (now - lastDraw < 100 && loaded !== total)) return;
      lastDraw = now;
      const pct = total ? ` ${((100 * loaded) / total).toFixed(0)}%` : '';
      process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}downloading ${file}: ${(loaded / 1048576).toFixed(1)} MiB${pct}${process.stderr.isTTY ? '' : '\n'}`);
      if (loaded === total && process.stderr.isTTY) process.stderr.write('\n');
    },
    onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
  });
  return { reader, hubId: model };
}
