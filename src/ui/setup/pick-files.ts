/**
 * Files from the places a browser offers them: a folder picker (showDirectoryPicker where it
 * exists), an <input type=file> (with or without webkitdirectory), or a drop of files or folders.
 * Each file keeps its path inside the chosen folder; the File objects go to the worker as they
 * are (structured clone), and nothing is read here.
 */
import { BadInputError } from '../../errors';
import type { PickedFile } from '../../workers/protocol';

/** The parts of the File System Access API used here (not in TypeScript's DOM library). */
interface DirectoryHandle {
  kind: 'directory';
  name: string;
  values(): AsyncIterable<DirectoryHandle | FileHandle>;
}
interface FileHandle {
  kind: 'file';
  name: string;
  getFile(): Promise<File>;
}
type DirectoryPicker = (options?: { id?: string; mode?: 'read' }) => Promise<DirectoryHandle>;

/** Sub-folders are followed this deep (a model folder is flat; a dropped parent folder is not). */
const MAX_DEPTH = 4;

export function canPickDirectory(): boolean {
  return typeof (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';
}

/** Opens the browser's folder picker; null when the user cancels. */
export async function pickDirectory(): Promise<PickedFile[] | null> {
  const picker = (globalThis as unknown as { showDirectoryPicker: DirectoryPicker }).showDirectoryPicker;
  let root: DirectoryHandle;
  try {
    root = await picker({ id: 'model-folder', mode: 'read' });
  } catch (e) {
    if ((e as Error).name === 'AbortError') return null;
    throw e;
  }
  const files: PickedFile[] = [];
  const walk = async (dir: DirectoryHandle, prefix: string, depth: number): Promise<void> => {
    for await (const handle of dir.values()) {
      if (handle.kind === 'file') files.push({ path: `${prefix}${handle.name}`, file: await handle.getFile() });
      else if (depth < MAX_DEPTH) await walk(handle, `${prefix}${handle.name}/`, depth + 1);
    }
  };
  await walk(root, `${root.name}/`, 1);
  return files;
}

/** The files of an <input type=file>, with their folder paths when it had webkitdirectory. */
export function filesFromInput(input: HTMLInputElement): PickedFile[] {
  return [...(input.files ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/**
 * The files of a drop, folders included. Must be called in the drop handler itself: the
 * DataTransfer's items are only readable during the event.
 */
export function filesFromDrop(transfer: DataTransfer): Promise<PickedFile[]> {
  const entries = [...transfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null)
    .filter((entry): entry is FileSystemEntry => entry !== null);
  if (entries.length === 0) return Promise.resolve([...transfer.files].map((file) => ({ path: file.name, file })));
  return Promise.all(entries.map((entry) => entryFiles(entry, 1))).then((lists) => lists.flat());
}

async function entryFiles(entry: FileSystemEntry, depth: number): Promise<PickedFile[]> {
  const path = entry.fullPath.replace(/^\/+/, '');
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ path, file }];
  }
  if (!entry.isDirectory || depth > MAX_DEPTH) return [];
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries returns the folder in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  const lists = await Promise.all(children.map((child) => entryFiles(child, depth + 1)));
  return lists.flat();
}

/**
 * Which of two dropped data files is the validation file, by its name (valid, val, dev, eval,
 * test); the second one when neither name says. More than two files is a mistake worth saying.
 */
export function splitDataFiles(files: File[]): { train: File; validation: File | null } {
  const isValidation = (f: File) => /(^|[^a-z])(valid(ation)?|val|dev|eval|test)([^a-z]|$)/i.test(f.name);
  if (files.length > 2) {
    const names = files.map((f) => f.name).join(', ');
    throw new BadInputError(names, null, `${files.length} files were dropped; drop one data file, or a training and a validation file`);
  }
  if (files.length === 1) return { train: files[0], validation: null };
  const validation = files.find(isValidation) ?? files[1];
  const train = files.find((f) => f !== validation)!;
  return { train, validation };
}
