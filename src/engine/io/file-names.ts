/**
 * Names of files inside a model repository or folder. They reach a request (a Hub URL, a URL on the
 * app's own server, a path on disk) from places we do not control: a Hub id typed by a person, or
 * the weight_map of a model.safetensors.index.json downloaded from the network. Only plain names
 * pass: ASCII letters, digits, '-', '_' and '.', parts joined by '/', no '.' or '..' part, no
 * leading '/', and nothing a URL or a path gives a meaning to ('%', '?', '#', ':', '\', spaces).
 */

const PART = /^[A-Za-z0-9_.-]+$/;
/** Longer names are no real file's; 255 is a common file-system limit on one name. */
const MAX_NAME_CHARS = 255;

/** Whether `name` is a relative path of plain parts inside the repository (see above). */
export function isPlainRepoPath(name: string): boolean {
  return name.length <= MAX_NAME_CHARS && name.split('/').every((part) => PART.test(part) && part !== '.' && part !== '..');
}

/** A shard named by model.safetensors.index.json: a plain file name (no folder) ending in .safetensors. */
export function isShardFileName(name: string): boolean {
  return isPlainRepoPath(name) && !name.includes('/') && name.endsWith('.safetensors') && name !== '.safetensors';
}

/** How isShardFileName's rule reads in a message. */
export const SHARD_FILE_RULE = "shard names must be plain file names of letters, digits, '-', '_' and '.', with no folders, '..', or characters such as '%', '?', '#' or ':'";
