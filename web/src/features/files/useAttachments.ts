import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { uploadFile } from '../../api/files';
import { newIdempotencyKey } from '../../api/client';
import { describeError } from '../../shared/errors';
import { sentence } from '../../shared/format';
import {
  attachedFile, counted, filesKey, readyFiles, refusal, restored, settle,
  type AttachedFile, type Attachment, type UploadLimits,
} from './attachments';

interface Options {
  /** The draft's files (null until the draft is read): the chips a reload brings back. */
  saved: AttachedFile[] | null;
  /** Called when the uploaded files change (the draft keeps them, with the text). */
  onReady: (files: AttachedFile[]) => void;
  limits: UploadLimits | undefined;
}

export interface Attachments {
  items: Attachment[];
  /** The uploaded files, in order: what a send carries. */
  ready: AttachedFile[];
  uploading: boolean;
  /** Adds picked, dropped or pasted files; each upload starts at once. `names` renames some. */
  add: (files: File[], names?: Map<File, string>) => void;
  remove: (key: string) => void;
  /** Empties the composer's files (after a send). */
  clear: () => void;
  /** The latest change, in words, for screen readers. */
  announcement: string;
}

/**
 * The files of the message being written. Each upload starts when the file is added; a chip is
 * `uploading`, then `ready` or `failed` with the server's reason. Removing a chip cancels its
 * upload; a file already uploaded stays among the user's files (it may be attached elsewhere).
 */
export function useAttachments({ saved, onReady, limits }: Options): Attachments {
  const [items, setItems] = useState<Attachment[]>([]);
  const [seeded, setSeeded] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const uploads = useRef(new Map<string, AbortController>());
  const previews = useRef(new Map<string, string>());
  const reported = useRef('');
  const restoredOnce = useRef(false);
  const current = useRef(items);
  current.current = items;

  // A draft that kept uploaded files brings their chips back, once it has been read (before
  // anything added meanwhile).
  useEffect(() => {
    if (restoredOnce.current || saved === null) return;
    restoredOnce.current = true;
    reported.current = filesKey(saved);
    setItems((added) => [...saved.map(restored), ...added]);
    setSeeded(true);
  }, [saved]);

  const ready = useMemo(() => readyFiles(items), [items]);
  const readyKey = filesKey(ready);
  const latest = useRef({ ready, onReady });
  latest.current = { ready, onReady };
  useEffect(() => {
    if (!seeded || readyKey === reported.current) return;
    reported.current = readyKey;
    latest.current.onReady(latest.current.ready);
  }, [readyKey, seeded]);

  // Leaving the chat cancels what is still uploading and frees the previews.
  useEffect(() => {
    const running = uploads.current;
    const urls = previews.current;
    return () => {
      running.forEach((c) => c.abort());
      urls.forEach((u) => URL.revokeObjectURL(u));
    };
  }, []);

  const forget = useCallback((key: string) => {
    uploads.current.get(key)?.abort();
    uploads.current.delete(key);
    const url = previews.current.get(key);
    if (url) URL.revokeObjectURL(url);
    previews.current.delete(key);
  }, []);

  const add = useCallback(
    (files: File[], names?: Map<File, string>) => {
      let attached = counted(current.current);
      const added: Attachment[] = [];
      for (const file of files) {
        const key = newIdempotencyKey();
        const name = names?.get(file) ?? file.name;
        const error = refusal(file.size, attached, limits);
        const preview = !error && file.type.startsWith('image/') ? URL.createObjectURL(file) : null;
        if (preview) previews.current.set(key, preview);
        added.push({ key, name, size: file.size, localType: file.type, preview, state: error ? 'failed' : 'uploading', file: null, error });
        if (error) continue;
        attached += 1;
        const controller = new AbortController();
        uploads.current.set(key, controller);
        uploadFile(file, name, controller.signal).then(
          (stored) => {
            uploads.current.delete(key);
            setItems((now) => settle(now, key, attachedFile(stored)));
            setAnnouncement(`${name} attached.`);
          },
          (e: unknown) => {
            uploads.current.delete(key);
            if (controller.signal.aborted) return; // removed meanwhile
            const reason = sentence(describeError(e));
            setItems((now) => now.map((a) => (a.key === key ? { ...a, state: 'failed', error: reason } : a)));
            setAnnouncement(`${name} could not be attached: ${reason}`);
          },
        );
      }
      if (!added.length) return;
      setItems((now) => [...now, ...added]);
      const refused = added.filter((a) => a.error);
      setAnnouncement(
        [
          added.length > refused.length ? `Uploading ${added.filter((a) => !a.error).map((a) => a.name).join(', ')}.` : '',
          ...refused.map((a) => `${a.name}: ${a.error}`),
        ].filter(Boolean).join(' '),
      );
    },
    [limits],
  );

  const remove = useCallback(
    (key: string) => {
      const gone = current.current.find((a) => a.key === key);
      forget(key);
      setItems((now) => now.filter((a) => a.key !== key));
      if (gone) setAnnouncement(`${gone.name} removed.`);
    },
    [forget],
  );

  const clear = useCallback(() => {
    current.current.forEach((a) => forget(a.key));
    setItems([]);
    setAnnouncement('');
  }, [forget]);

  return { items, ready, uploading: items.some((a) => a.state === 'uploading'), add, remove, clear, announcement };
}
