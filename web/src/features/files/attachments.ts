// The files of a message being written: what each chip shows, the checks made before an upload
// (the server checks again, and its answer is the one that counts), and what a send carries.
import type { Schemas } from '../../api/client';
import { formatBytes } from '../../shared/format';

/** A stored file as a message (and its draft) carries it. */
export type AttachedFile = Pick<Schemas['File'], 'id' | 'name' | 'media_type' | 'kind' | 'size_bytes'>;

/** The upload limits of `GET /v1/files/usage`. */
export type UploadLimits = Pick<Schemas['StorageUsage'], 'max_file_bytes' | 'max_files_per_message'>;

export type AttachmentState = 'uploading' | 'ready' | 'failed';

/** One chip of the composer. */
export interface Attachment {
  /** The chip's own key (the same file may be picked twice). */
  key: string;
  name: string;
  size: number;
  /** The picked file's type as the browser guesses it (the server sniffs the real one). */
  localType: string;
  /** A picked picture's preview: an object URL of the local file, revoked when the chip goes. */
  preview: string | null;
  state: AttachmentState;
  /** The stored file, once uploaded. */
  file: AttachedFile | null;
  /** Why it is not attached: the server's words, or the limits'. */
  error: string | null;
}

/** Why a picked file is refused before any upload; null when it may go. `attached`: chips that count. */
export function refusal(size: number, attached: number, limits: UploadLimits | undefined): string | null {
  if (!limits) return null;
  if (attached >= limits.max_files_per_message) {
    return `Not attached: a message can carry at most ${limits.max_files_per_message} file${limits.max_files_per_message === 1 ? '' : 's'}.`;
  }
  if (size > limits.max_file_bytes) return `Too large: a file may have at most ${formatBytes(limits.max_file_bytes)}.`;
  return null;
}

/** The chips that count towards the limit: uploaded or on their way. */
export const counted = (items: Attachment[]) => items.filter((a) => a.state !== 'failed').length;

/** What a send carries: the uploaded files, in the order they were added. */
export const readyFiles = (items: Attachment[]): AttachedFile[] => items.flatMap((a) => (a.state === 'ready' && a.file ? [a.file] : []));

/** Whether a picture is among them (a model without vision refuses it). */
export function hasImage(items: Attachment[]): boolean {
  return items.some((a) => a.state !== 'failed' && (a.file ? a.file.kind === 'image' : a.localType.startsWith('image/')));
}

/** The files as a key: equal when the same files go, in the same order. */
export const filesKey = (files: readonly { id: string }[] | undefined) => (files ?? []).map((f) => f.id).join(',');

/** The stored file of an upload's answer, as the message will carry it. */
export function attachedFile(f: Schemas['File']): AttachedFile {
  return { id: f.id, name: f.name, media_type: f.media_type, kind: f.kind, size_bytes: f.size_bytes };
}

/** A chip for a file kept in a draft (after a reload): uploaded already, shown from the server. */
export function restored(file: AttachedFile): Attachment {
  return { key: `saved:${file.id}`, name: file.name, size: file.size_bytes, localType: file.media_type, preview: null, state: 'ready', file, error: null };
}

/**
 * Where an upload's answer puts a chip: ready, or failed when the server answered with a file
 * another chip holds already (an identical upload is the same stored file, and a message names a
 * file once).
 */
export function settle(items: Attachment[], key: string, file: AttachedFile): Attachment[] {
  const taken = items.some((a) => a.key !== key && a.state === 'ready' && a.file?.id === file.id);
  return items.map((a) =>
    a.key !== key ? a : taken ? { ...a, state: 'failed', error: 'Already attached: this is the same file as another one here.' } : { ...a, state: 'ready', file },
  );
}

/** The name of a pasted picture, which often has none of its own (or the same one every time). */
export function pastedName(file: File, now = new Date()): string {
  if (file.name && file.name !== 'image.png') return file.name;
  const ext = file.type.split('/')[1]?.replace('jpeg', 'jpg') || 'png';
  const stamp = now.toISOString().slice(0, 19).replace('T', ' ').replace(/:/g, '.');
  return `Pasted image ${stamp}.${ext}`;
}

/** What kind of file it is, in words: "PNG image", "PDF", "Text". */
export function kindLabel(kind: AttachedFile['kind'], mediaType: string): string {
  const type = mediaType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (kind === 'image') {
    const subtype = type.split('/')[1];
    return subtype ? `${subtype.replace('jpeg', 'jpg').toUpperCase()} image` : 'Image';
  }
  if (kind === 'document') {
    if (type === 'application/pdf') return 'PDF';
    if (type.includes('wordprocessingml')) return 'Word document';
    return 'Document';
  }
  return 'Text';
}
