// Attachments' server state: the upload limits, and pictures' content for their thumbnails.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { fileBlob } from '../../api/files';
import { $api, retryRead } from '../../api/query';

/** What my files take and the limits on uploads; they change with the configuration only. */
export const useFileUsage = (enabled = true) => $api.useQuery('get', '/v1/files/usage', undefined, { staleTime: 5 * 60_000, enabled });

/**
 * A stored picture as an object URL for an `<img>` (the content endpoint always answers as a
 * download, and only with the session's cookie): null while it loads or when it cannot be had. The
 * bytes stay cached, so a row scrolled out of view and back shows it at once.
 */
export function useFileImage(id: string | null): string | null {
  const content = useQuery({
    queryKey: ['file-content', id],
    queryFn: ({ signal }) => fileBlob(id ?? '', signal),
    enabled: id !== null,
    staleTime: Infinity,
    retry: retryRead,
  });
  return useObjectUrl(content.data ?? null);
}

/** An object URL of `blob` for as long as the component shows it. */
export function useObjectUrl(blob: Blob | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!blob) return setUrl(null);
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url;
}
