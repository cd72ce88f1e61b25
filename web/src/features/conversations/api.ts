// The conversation lists (newest first, paged by `next_cursor`) and the changes made from them.
import { useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import type { Conversation, Schemas } from '../../api/client';
import { $api } from '../../api/query';

const PAGE = 30;
type Page = Schemas['ConversationPage'];
type Lists = InfiniteData<Page>;

/** Every conversation list (archived or not, all their pages). */
const LISTS = ['get', '/v1/conversations'] as const;
const listInit = (archived: boolean) => ({ params: { query: { archived, limit: PAGE } } });

/** The key of one conversation's detail (the chat keeps it current; see features/chat/api.ts). */
export const conversationKey = (id: string) => $api.queryOptions('get', '/v1/conversations/{id}', { params: { path: { id } } }).queryKey;

/** A list's pages as one list. A conversation that moved up while paging (a new message) comes again on a later page: it is shown once. */
function allPages(data: Lists): Conversation[] {
  const seen = new Set<string>();
  return data.pages.flatMap((p) => p.items).filter((c) => !seen.has(c.id) && seen.add(c.id));
}

/** One list, as far as it has been paged (`data`); `fetchNextPage` loads the next page. */
export function useConversationList(archived: boolean) {
  return $api.useInfiniteQuery('get', '/v1/conversations', listInit(archived), {
    pageParamName: 'cursor',
    // No cursor for the first page (openapi-fetch leaves null parameters out of the query).
    initialPageParam: null as string | null,
    getNextPageParam: (page: Page) => page.next_cursor ?? undefined,
    select: allPages,
    meta: { toastErrors: true },
  });
}

/** Changes every cached list page by page (each list knows whether it is the archived one). */
function editLists(client: QueryClient, edit: (items: Conversation[], archived: boolean) => Conversation[]) {
  for (const query of client.getQueryCache().findAll({ queryKey: LISTS })) {
    const archived = (query.queryKey[2] as ReturnType<typeof listInit> | undefined)?.params.query.archived ?? false;
    client.setQueryData<Lists>(query.queryKey, (data) => data && { ...data, pages: data.pages.map((p) => ({ ...p, items: edit(p.items, archived) })) });
  }
}

/**
 * After a conversation changed elsewhere (a message sent, a new chat): the lists start again from
 * their first page, where the conversation now is, and searches run again.
 */
export function refreshConversationLists(client: QueryClient): Promise<void> {
  client.setQueriesData<Lists>({ queryKey: LISTS }, (data) => data && { pages: data.pages.slice(0, 1), pageParams: data.pageParams.slice(0, 1) });
  return Promise.all([client.invalidateQueries({ queryKey: LISTS }), client.invalidateQueries({ queryKey: ['get', '/v1/search'] })]).then(() => {});
}

/** Renames, archives or restores a conversation; the lists and the open chat show it at once. */
export function useUpdateConversation() {
  const client = useQueryClient();
  return $api.useMutation('patch', '/v1/conversations/{id}', {
    onSuccess: (updated) => {
      editLists(client, (items, archived) =>
        updated.archived === archived ? items.map((c) => (c.id === updated.id ? updated : c)) : items.filter((c) => c.id !== updated.id),
      );
      client.setQueryData<Schemas['ConversationDetail']>(conversationKey(updated.id), (d) => d && { ...d, conversation: updated });
      // The list it moved to has it once reloaded; searches show the new title.
      void client.invalidateQueries({ queryKey: LISTS, refetchType: 'none' });
      void client.invalidateQueries({ queryKey: ['get', '/v1/search'] });
    },
    meta: { toastErrors: true },
  });
}

/** Deletes a conversation for good (the sidebar waits out the undo time first). */
export function useDeleteConversation() {
  const client = useQueryClient();
  return $api.useMutation('delete', '/v1/conversations/{id}', {
    onMutate: ({ params }) => editLists(client, (items) => items.filter((c) => c.id !== params.path.id)),
    onSuccess: (_data, { params }) => client.removeQueries({ queryKey: conversationKey(params.path.id) }),
    // Not deleted after all: the lists show it again.
    onError: () => void client.invalidateQueries({ queryKey: LISTS }),
    onSettled: () => void client.invalidateQueries({ queryKey: ['get', '/v1/search'] }),
    meta: { toastErrors: true },
  });
}
