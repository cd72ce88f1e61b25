// Cursor paging for `$api.useInfiniteQuery`: the first page has no cursor (null is left out of
// the query string), the next one the previous page's `next_cursor`.
export const cursorPaging = {
  pageParamName: 'cursor',
  initialPageParam: null as string | null,
  getNextPageParam: (last: { next_cursor?: string | null }) => last.next_cursor ?? undefined,
};

/** The items of every loaded page. */
export function allItems<T>(data: { pages: { items: T[] }[] } | undefined): T[] {
  return data ? data.pages.flatMap((p) => p.items) : [];
}
