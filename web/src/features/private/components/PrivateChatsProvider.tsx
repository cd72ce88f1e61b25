import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, type ReactNode } from 'react';
import { PrivateChatsContext, relay } from '../api';
import { privateChatsFor } from '../chats';

/**
 * The private chats of `owner` (`<user>:<tenant>`) for everything below; on load it resumes the
 * answers a closed page left unfinished, whichever page is open.
 */
export function PrivateChatsProvider({ owner, children }: { owner: string; children: ReactNode }) {
  const client = useQueryClient();
  const chats = useMemo(() => privateChatsFor(owner, client, relay), [owner, client]);
  useEffect(() => {
    void chats.resumeAll().catch(() => {}); // storage unavailable: the section says so
  }, [chats]);
  return <PrivateChatsContext.Provider value={chats}>{children}</PrivateChatsContext.Provider>;
}
