/**
 * The progress line for reading a big dataset file: on a terminal one line redrawn with '\r'
 * (at most every 100 ms), elsewhere (logs, pipes) a plain line at each quarter, so a log file
 * gets a few lines rather than hundreds.
 */
import type { DatasetProgress } from '../engine/io/datasets';

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface DatasetProgressLine {
  update(progress: DatasetProgress): void;
  /** The file is parsed: a last line with the row count. */
  done(rows: number): void;
  /** Reading failed: end an open terminal line so the error starts on its own. */
  abandon(): void;
}

const REDRAW_MS = 100;

export function datasetProgress(path: string, totalBytes: number, sink: ProgressSink): DatasetProgressLine {
  const tty = sink.isTTY === true;
  const started = Date.now();
  let lastDraw = 0;
  let quartersShown = 0;
  let lineOpen = false;
  const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
  const describe = (bytes: number, rows: number) =>
    `reading ${path}: ${mib(bytes)} of ${mib(totalBytes)} MiB (${totalBytes ? Math.floor((100 * bytes) / totalBytes) : 100}%), ${rows.toLocaleString('en')} rows`;

  return {
    update({ bytes = 0, rows }) {
      if (bytes >= totalBytes) return; // the last chunk: done() prints the summary
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < REDRAW_MS) return;
        lastDraw = now;
        sink.write(`\r${describe(bytes, rows)}`);
        lineOpen = true;
      } else {
        const quarter = Math.floor((4 * bytes) / totalBytes);
        if (quarter <= quartersShown) return;
        quartersShown = quarter;
        sink.write(`${describe(bytes, rows)}\n`);
      }
    },
    done(rows) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      sink.write(`${tty ? '\r' : ''}read ${path}: ${mib(totalBytes)} MiB, ${rows.toLocaleString('en')} rows in ${seconds} s${tty ? '\x1b[K' : ''}\n`);
      lineOpen = false;
    },
    abandon() {
      if (lineOpen) sink.write('\n');
      lineOpen = false;
    },
  };
}
