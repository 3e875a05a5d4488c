/** A DirReader for each place a model can come from: the app's demo folder, picked files, or the Hub. */
import type { DirReader } from '../../engine/io/model-dir';
import { hubDirReader } from '../../engine/io/hub';
import { browserHubCache } from '../../engine/io/browser-cache';
import type { ByteSource } from '../../engine/io/byte-source';
import { DemoNotBuiltError } from '../errors';
import type { ModelSource } from '../protocol';
import type { ProgressReporter } from '../session';
import { fileDirReader } from '../sources/file-dir';
import { urlDirReader } from '../sources/url-dir';

export interface ModelReader {
  reader: DirReader;
  /** How the model is named in the UI. */
  name: string;
  /** base_model_name_or_path for exports. */
  baseModelName: string | null;
  /** The files read so far, with their sizes. */
  files(): { name: string; bytes: number }[];
}

export const DEMO_MODEL_FOLDER = 'demo/model/';
/** The name of picked model files that do not sit in one folder. */
export const FILES_WITHOUT_FOLDER = 'Model files';

export async function modelReader(source: ModelSource, progress: ProgressReporter): Promise<ModelReader> {
  switch (source.kind) {
    case 'demo': {
      const reader = urlDirReader(source.url, DEMO_MODEL_FOLDER, progress);
      if (!(await reader.read('config.json'))) {
        throw new DemoNotBuiltError(
          `The built-in demo model is not built yet: ${DEMO_MODEL_FOLDER}config.json is not on this server. ` +
            'Build it with the script in tools/demo/ (see the README) and rebuild the app, or load a model folder or a Hub model instead.',
        );
      }
      return { reader, name: 'Built-in demo model', baseModelName: null, files: () => sizes(reader.used) };
    }
    case 'files': {
      const reader = countingReads(fileDirReader(source.files), progress);
      const name = reader.folderName ?? FILES_WITHOUT_FOLDER;
      return { reader, name, baseModelName: reader.folderName, files: () => sizes(reader.used) };
    }
    case 'hub': {
      const modelId = source.modelId.trim();
      const sizesSeen = new Map<string, number>();
      const reader = hubDirReader(modelId, {
        cache: await browserHubCache(),
        onProgress: ({ file, loaded, total, cached }) => {
          sizesSeen.set(file, total ?? loaded);
          progress(file, loaded, total, cached);
        },
      });
      return { reader, name: modelId, baseModelName: modelId, files: () => sizes(sizesSeen) };
    }
  }
}

function sizes(used: Map<string, number>): { name: string; bytes: number }[] {
  return [...used].map(([name, bytes]) => ({ name, bytes }));
}

/**
 * Reports the bytes read from each opened file as it is uploaded: a local checkpoint of hundreds
 * of MB takes a while to reach the GPU even though nothing is downloaded.
 */
function countingReads<R extends DirReader>(reader: R, progress: ProgressReporter): R {
  return {
    ...reader,
    async open(name: string): Promise<ByteSource | null> {
      const source = await reader.open(name);
      if (!source) return null;
      let loaded = 0;
      return {
        name: source.name,
        size: source.size,
        async read(offset, length) {
          const bytes = await source.read(offset, length);
          loaded = Math.min(source.size, loaded + bytes.byteLength);
          progress(source.name, loaded, source.size);
          return bytes;
        },
      };
    },
  };
}
