import type { Schemas } from '../../../api/client';
import { fileContentUrl } from '../../../api/files';
import { formatBytes } from '../../../shared/format';
import { kindLabel } from '../attachments';
import { FileThumb } from './FileThumb';

/** The files a sent message carries, in order: each downloads on a click; a deleted one is named only. */
export function MessageFiles({ files }: { files: Schemas['MessageFileView'][] }) {
  return (
    <ul className="message-files" aria-label="Attached files">
      {files.map((f, i) => {
        const detail = `${kindLabel(f.kind, f.media_type)} · ${formatBytes(f.size_bytes)}`;
        return (
          <li key={`${f.file_id ?? 'deleted'}:${i}`}>
            {f.file_id ? (
              <a className="file-chip" href={fileContentUrl(f.file_id)} download={f.name} title={`Download ${f.name}`}>
                <FileThumb kind={f.kind} fileId={f.file_id} />
                <span className="file-text">
                  <span className="file-name">{f.name}</span>
                  <span className="file-detail">{detail}</span>
                </span>
              </a>
            ) : (
              <span className="file-chip deleted" title="Its owner deleted this file">
                <FileThumb kind={f.kind} />
                <span className="file-text">
                  <span className="file-name">{f.name}</span>
                  <span className="file-detail">{detail} · deleted</span>
                </span>
              </span>
            )}
          </li>
        );
      })}
    </ul>
  );
}
