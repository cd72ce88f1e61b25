// Snapshot shares of a conversation: the active ones, creating and revoking them, and reading one.
import { useQueryClient } from '@tanstack/react-query';
import { $api } from '../../api/query';

const SHARES = ['get', '/v1/shares'] as const;

/** The active shares of one conversation. */
export const useShares = (conversationId: string) =>
  $api.useQuery('get', '/v1/shares', { params: { query: { status: 'active', limit: 100 } } }, {
    select: (page) => page.items.filter((s) => s.source_conversation_id === conversationId),
  });

export function useCreateShare() {
  const client = useQueryClient();
  return $api.useMutation('post', '/v1/conversations/{id}/shares', { onSuccess: () => client.invalidateQueries({ queryKey: SHARES }) });
}

export function useRevokeShare() {
  const client = useQueryClient();
  return $api.useMutation('delete', '/v1/shares/{id}', { onSuccess: () => client.invalidateQueries({ queryKey: SHARES }) });
}

/**
 * A shared snapshot: by its link's secret (`/s/<token>`, readable signed out) or by the share's id.
 * A snapshot never changes (it can only be revoked), so the page loads it once.
 */
export function useSnapshot({ token, shareId }: { token?: string; shareId?: string }) {
  const once = { staleTime: Infinity, refetchOnWindowFocus: false, refetchOnReconnect: false };
  const byToken = $api.useQuery('get', '/v1/public/snapshots/{token}', { params: { path: { token: token ?? '' } } }, { ...once, enabled: token !== undefined });
  const byId = $api.useQuery('get', '/v1/snapshots/{id}', { params: { path: { id: shareId ?? '' } } }, { ...once, enabled: token === undefined });
  return token !== undefined ? byToken : byId;
}
