/**
 * A frozen lookup table kept in host memory: the word embeddings. A batch needs only its tokens'
 * rows, so the host gathers those and uploads them, and the table's bytes (147 MiB in roberta-base,
 * more than a quarter of its weights) never take GPU memory.
 */

export interface HostTable {
  /** Row-major [rows, cols], its own copy (not a view that would keep a whole weights file alive). */
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

export function hostTable(data: Float32Array, rows: number, cols: number): HostTable {
  if (data.length !== rows * cols) throw new Error(`hostTable: ${data.length} values for [${rows}, ${cols}]`);
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return { data: own ? data : data.slice(), rows, cols };
}

/** [ids.length, cols]: row k is the table's row ids[k]. */
export function gatherRows(table: HostTable, ids: Int32Array): Float32Array {
  const { data, rows, cols } = table;
  const out = new Float32Array(ids.length * cols);
  ids.forEach((id, k) => {
    // Batches are checked against the vocabulary when they are made: this is a program error.
    if (!(id >= 0 && id < rows)) throw new Error(`gatherRows: id ${id} at position ${k} is outside the table's ${rows} rows`);
    out.set(data.subarray(id * cols, (id + 1) * cols), k * cols);
  });
  return out;
}
