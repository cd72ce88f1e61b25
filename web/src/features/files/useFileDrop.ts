import { useEffect, useRef, useState, type DragEvent } from 'react';

const carriesFiles = (e: { dataTransfer: DataTransfer | null }) => e.dataTransfer?.types.includes('Files') ?? false;

/**
 * Files dropped on an area: its handlers, and whether files are being dragged over it (for the
 * "drop here" look). While it is on the page, files dropped anywhere else do nothing, rather than
 * the browser leaving the chat to open them.
 */
export function useFileDrop(onFiles: (files: File[]) => void, enabled = true) {
  const [dragging, setDragging] = useState(false);
  // dragenter/dragleave fire for every child crossed: count them to know when the pointer left.
  const depth = useRef(0);

  useEffect(() => {
    if (!enabled) return;
    const swallow = (e: globalThis.DragEvent) => {
      if (carriesFiles(e)) e.preventDefault();
    };
    addEventListener('dragover', swallow);
    addEventListener('drop', swallow);
    return () => {
      removeEventListener('dragover', swallow);
      removeEventListener('drop', swallow);
    };
  }, [enabled]);

  if (!enabled) return { dragging: false, handlers: {} };
  const handlers = {
    onDragEnter: (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth.current += 1;
      setDragging(true);
    },
    onDragOver: (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    },
    onDragLeave: (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    },
    onDrop: (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      depth.current = 0;
      setDragging(false);
      const files = Array.from(e.dataTransfer.files);
      if (files.length) onFiles(files);
    },
  };
  return { dragging, handlers };
}
