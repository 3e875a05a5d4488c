import { useState, type ReactNode } from 'react';
import type { PickedFile } from '../../workers/protocol';
import { filesFromDrop } from './pick-files';

/** An area that takes dropped files or folders; shows when something is dragged over it. */
export function DropZone({
  onFiles,
  onError,
  disabled,
  label,
  children,
  testId,
}: {
  onFiles: (files: PickedFile[]) => void;
  /** A dropped item could not be read (e.g. a folder the browser may not open). */
  onError: (error: unknown) => void;
  disabled?: boolean;
  label: string;
  children: ReactNode;
  testId: string;
}) {
  const [over, setOver] = useState(false);
  return (
    <div
      className={`drop-zone${over ? ' over' : ''}${disabled ? ' disabled' : ''}`}
      aria-label={label}
      data-testid={testId}
      onDragOver={(event) => {
        if (disabled || !event.dataTransfer.types.includes('Files')) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setOver(false);
      }}
      onDrop={(event) => {
        setOver(false);
        if (disabled) return;
        event.preventDefault();
        filesFromDrop(event.dataTransfer).then((files) => {
          if (files.length > 0) onFiles(files);
        }, onError);
      }}
    >
      {children}
    </div>
  );
}
