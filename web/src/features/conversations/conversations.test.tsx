import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Conversation } from '../../api/client';
import { serve, withQueries } from '../../test-utils';
import { refreshConversationLists, useConversationList, useUpdateConversation } from './api';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const conversation = (id: string, over: Partial<Conversation> = {}): Conversation => ({
  id, title: `Topic ${id}`, archived: false, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', ...over,
});

/** A server whose conversation list has these pages, by cursor ('' is the first). */
function serveList(pages: Record<string, { items: Conversation[]; next_cursor: string | null }>) {
  return serve(({ method, path, url }) =>
    method === 'GET' && path === '/v1/conversations' ? [200, pages[url.searchParams.get('cursor') ?? '']] : undefined,
  );
}

describe('the conversation list', () => {
  it('pages by next_cursor, and shows a conversation that moved between pages once', async () => {
    const asked = serveList({
      '': { items: [conversation('a'), conversation('b')], next_cursor: 'p2' },
      p2: { items: [conversation('b'), conversation('c')], next_cursor: null },
    });
    const { wrapper } = withQueries();
    const { result } = renderHook(() => useConversationList(false), { wrapper });
    await waitFor(() => expect(result.current.data?.map((c) => c.id)).toEqual(['a', 'b']));
    expect(result.current.hasNextPage).toBe(true);
    await act(() => result.current.fetchNextPage());
    await waitFor(() => expect(result.current.data?.map((c) => c.id)).toEqual(['a', 'b', 'c']));
    expect(result.current.hasNextPage).toBe(false);
    expect(asked).toEqual(['GET /v1/conversations?archived=false&limit=30', 'GET /v1/conversations?archived=false&limit=30&cursor=p2']);
  });

  it('after a message elsewhere, starts again from the first page, where that conversation now is', async () => {
    const pages = {
      '': { items: [conversation('a'), conversation('b')], next_cursor: 'p2' },
      p2: { items: [conversation('c')], next_cursor: null },
    };
    const asked = serveList(pages);
    const { client, wrapper } = withQueries();
    const { result } = renderHook(() => useConversationList(false), { wrapper });
    await waitFor(() => expect(result.current.hasNextPage).toBe(true));
    await act(() => result.current.fetchNextPage());
    pages[''] = { items: [conversation('c'), conversation('a')], next_cursor: 'p2' };
    await act(() => refreshConversationLists(client));
    await waitFor(() => expect(result.current.data?.map((c) => c.id)).toEqual(['c', 'a']));
    expect(asked.slice(2)).toEqual(['GET /v1/conversations?archived=false&limit=30']);
  });

  it('drops an archived conversation at once, and shows a new title without reloading', async () => {
    const asked = serve(({ method, path, body }) => {
      if (method === 'GET' && path === '/v1/conversations') return [200, { items: [conversation('a'), conversation('b')], next_cursor: null }];
      if (method === 'PATCH' && path === '/v1/conversations/a') return [200, conversation('a', body as Partial<Conversation>)];
      if (method === 'PATCH' && path === '/v1/conversations/b') return [200, conversation('b', body as Partial<Conversation>)];
      return undefined;
    });
    const { wrapper } = withQueries();
    const { result } = renderHook(() => ({ list: useConversationList(false), update: useUpdateConversation() }), { wrapper });
    await waitFor(() => expect(result.current.list.data).toHaveLength(2));
    await act(() => result.current.update.mutateAsync({ params: { path: { id: 'a' } }, body: { archived: true } }));
    await act(() => result.current.update.mutateAsync({ params: { path: { id: 'b' } }, body: { title: 'Bird notes' } }));
    await waitFor(() => expect(result.current.list.data?.map((c) => c.title)).toEqual(['Bird notes']));
    expect(asked.filter((r) => r.startsWith('GET'))).toHaveLength(1);
  });
});
