/**
 * Fetching files from the app's own server (the built-in demo), with byte progress. A missing
 * file is null: a 404, or the HTML page a dev server sends for unknown paths.
 */
import { DownloadError } from '../../errors';

export type ByteProgress = (file: string, loaded: number, total: number | null) => void;

/** The response for `url`, or null when the file is not there. */
export async function fetchIfPresent(url: string, shownName: string): Promise<Response | null> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new DownloadError(`${shownName} could not be fetched (${(e as Error).message}); check that the app's server is still running and reload.`);
  }
  if (response.status === 404) return null;
  if (!response.ok) throw new DownloadError(`${shownName} could not be fetched: the server answered ${response.status} ${response.statusText}.`);
  if ((response.headers.get('content-type') ?? '').startsWith('text/html')) {
    await response.body?.cancel();
    return null;
  }
  return response;
}

export function contentLength(response: Response): number | null {
  const length = Number(response.headers.get('content-length'));
  return Number.isFinite(length) && length > 0 ? length : null;
}

/** The body as a Blob, reporting bytes as they arrive (the chunks become the Blob; no second copy is kept). */
export async function readBodyWithProgress(response: Response, shownName: string, onProgress?: ByteProgress): Promise<Blob> {
  const total = contentLength(response);
  if (!response.body) return response.blob();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  onProgress?.(shownName, 0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value as Uint8Array<ArrayBuffer>);
    loaded += value.byteLength;
    onProgress?.(shownName, loaded, total);
  }
  return new Blob(chunks);
}

/** A ReadableStream that reports the bytes that pass through it. */
export function countingStream(stream: ReadableStream<Uint8Array>, shownName: string, total: number | null, onProgress?: ByteProgress): ReadableStream<Uint8Array> {
  let loaded = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        loaded += chunk.byteLength;
        onProgress?.(shownName, loaded, total);
        controller.enqueue(chunk);
      },
    }),
  );
}
