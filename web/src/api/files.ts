// Attachments' bytes through the same client as every other call (session, CSRF token, the
// draining retry, the 401 handling): an upload's body is the file itself, not JSON, and a file's
// content comes back as a Blob.
import { api, call, type Schemas } from './client';

export type UploadedFile = Schemas['File'];

/**
 * Uploads a file (`POST /v1/files?name=`): its bytes as `application/octet-stream`. Rejects with
 * the server's `ConfabError` (413 too large or over quota, 415 unsupported, 422 unreadable).
 */
export function uploadFile(file: Blob, name: string, signal?: AbortSignal): Promise<UploadedFile> {
  return call(
    api.POST('/v1/files', {
      params: { query: { name } },
      // The generated type says `string` (the spec's binary body); the browser sends a Blob as is.
      body: file as unknown as string,
      bodySerializer: (body: unknown) => body as Blob,
      headers: { 'Content-Type': 'application/octet-stream' },
      signal,
    }),
  );
}

/** A file's content (`GET /v1/files/{id}/content`), e.g. to show an image through an object URL. */
export function fileBlob(id: string, signal?: AbortSignal): Promise<Blob> {
  return call(api.GET('/v1/files/{id}/content', { params: { path: { id } }, parseAs: 'blob', signal }));
}

/**
 * Where the browser downloads a file itself: the server serves it as an attachment under its name,
 * with the session cookie, so a plain link does (and large files never pass through the page).
 */
export function fileContentUrl(id: string): string {
  return `/v1/files/${encodeURIComponent(id)}/content`;
}
