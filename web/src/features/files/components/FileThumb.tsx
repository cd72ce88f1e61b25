import { useState } from 'react';
import type { Schemas } from '../../../api/client';
import { Icon } from '../../../shared/Icon';
import { useFileImage } from '../api';

interface Props {
  kind: Schemas['FileKind'];
  /** A local preview (an object URL of the picked file), shown instead of asking the server. */
  preview?: string | null;
  /** The stored file: a picture's thumbnail comes from its content. */
  fileId?: string | null;
}

/** A picture's thumbnail, or the icon of its kind (while a picture loads, or when it cannot be shown). */
export function FileThumb({ kind, preview = null, fileId = null }: Props) {
  const stored = useFileImage(kind === 'image' && !preview ? fileId : null);
  const src = preview ?? stored;
  const [broken, setBroken] = useState<string | null>(null);
  if (kind === 'image' && src && src !== broken) return <img className="file-thumb" src={src} alt="" onError={() => setBroken(src)} />;
  return (
    <span className="file-thumb file-icon" aria-hidden="true">
      <Icon name={kind === 'image' ? 'image' : 'file'} size={18} />
    </span>
  );
}
