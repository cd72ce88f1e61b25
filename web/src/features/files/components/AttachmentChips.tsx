import { formatBytes } from '../../../shared/format';
import { Icon } from '../../../shared/Icon';
import type { Attachment } from '../attachments';
import { FileThumb } from './FileThumb';

interface Props {
  items: Attachment[];
  onRemove: (key: string) => void;
  /** The latest change in words ("report.pdf attached."), for screen readers. */
  announcement: string;
}

/** The composer's files: each with its size, its upload under way, or why it is not attached. */
export function AttachmentChips({ items, onRemove, announcement }: Props) {
  return (
    <>
      {items.length > 0 && (
        <ul className="attachments" aria-label="Attached files">
          {items.map((a) => (
            <li key={a.key} className={`attachment state-${a.state}`} data-state={a.state} aria-busy={a.state === 'uploading'}>
              <FileThumb kind={a.file?.kind ?? (a.localType.startsWith('image/') ? 'image' : 'document')} preview={a.preview} fileId={a.file?.id} />
              <span className="file-text">
                <span className="file-name" title={a.name}>{a.name}</span>
                <span className="file-detail">
                  {formatBytes(a.size)}
                  {a.state === 'uploading' && ' · Uploading…'}
                  {a.state === 'failed' && ' · Not attached'}
                </span>
                {a.state === 'uploading' && <span className="upload-bar" aria-hidden="true"><span /></span>}
                {a.error && <span className="file-error">{a.error}</span>}
              </span>
              <button type="button" className="icon" aria-label={`Remove ${a.name}`} title="Remove" onClick={() => onRemove(a.key)}>
                <Icon name="close" />
              </button>
            </li>
          ))}
        </ul>
      )}
      {/* Always in the page, so that screen readers announce what changes in it. */}
      <p className="visually-hidden" role="status">{announcement}</p>
    </>
  );
}
