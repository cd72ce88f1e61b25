import { lazy, Suspense } from 'react';

// The markdown renderer and sanitizer (marked + DOMPurify) load on first use, keeping them out of
// the initial JavaScript; until then the text shows as plain text.
const load = () => import('./Markdown');
const Markdown = lazy(load);

/** Starts loading the renderer early (e.g. when a conversation opens). */
export const preloadMarkdown = () => void load();

export function LazyMarkdown({ source, final }: { source: string; final: boolean }) {
  return (
    <Suspense fallback={<div className="md plain">{source}</div>}>
      <Markdown source={source} final={final} />
    </Suspense>
  );
}
