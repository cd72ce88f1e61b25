import { memo, useLayoutEffect, useRef } from 'react';
import { renderMarkdown } from './markdown';

let highlighter: Promise<typeof import('./highlight')> | null = null;

/**
 * Sanitized markdown (see markdown.ts). Code blocks get a copy button, and syntax highlighting
 * once the text is final (the highlighter is a lazily loaded chunk).
 */
const Markdown = memo(function Markdown({ source, final }: { source: string; final: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.innerHTML = renderMarkdown(source);
    const blocks = Array.from(el.querySelectorAll('pre'));
    for (const pre of blocks) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'copy-code';
      button.textContent = 'Copy';
      button.setAttribute('aria-label', 'Copy code');
      button.addEventListener('click', () => {
        const code = pre.querySelector('code')?.textContent ?? '';
        void navigator.clipboard?.writeText(code).then(() => {
          button.textContent = 'Copied';
          setTimeout(() => (button.textContent = 'Copy'), 1500);
        });
      });
      pre.prepend(button);
    }
    if (final && blocks.length) {
      highlighter ??= import('./highlight');
      void highlighter.then(({ highlight }) => {
        for (const code of Array.from(el.querySelectorAll<HTMLElement>('pre code'))) highlight(code);
      });
    }
  }, [source, final]);
  return <div className="md" ref={ref} />;
});

export default Markdown;
