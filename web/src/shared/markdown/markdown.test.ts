import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

function dom(markdown: string): HTMLElement {
  const el = document.createElement('div');
  el.innerHTML = renderMarkdown(markdown);
  return el;
}

describe('renderMarkdown', () => {
  it('renders tables, lists and fenced code', () => {
    const el = dom('| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n```rust\nfn main() {}\n```');
    expect(el.querySelectorAll('table td')).toHaveLength(2);
    expect(el.querySelectorAll('ul li')).toHaveLength(2);
    expect(el.querySelector('pre code.language-rust')?.textContent).toBe('fn main() {}\n');
  });

  it('shows raw HTML as text, never as elements', () => {
    const el = dom('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> <svg onload=alert(1)></svg> <iframe srcdoc="x"></iframe>');
    expect(el.querySelector('script, img, svg, iframe')).toBeNull();
    expect(el.textContent).toContain('<script>alert(1)</script>');
    expect(el.innerHTML).not.toMatch(/<(script|img|svg|iframe)/);
  });

  it('keeps only http(s) and mailto links, opened safely', () => {
    const el = dom(
      '[a](javascript:alert(1)) [b](jav&#x61;script:alert(1)) [c](data:text/html,x) [d](vbscript:x) <javascript:alert(1)> [ok](https://example.com) [m](mailto:a@b.example)',
    );
    const hrefs = Array.from(el.querySelectorAll('a')).map((a) => a.getAttribute('href'));
    expect(hrefs.filter(Boolean)).toEqual(['https://example.com', 'mailto:a@b.example']);
    for (const a of el.querySelectorAll('a[href]')) {
      expect(a.getAttribute('rel')).toContain('noopener');
      expect(a.getAttribute('rel')).toContain('noreferrer');
    }
  });

  it('drops images (no remote fetches) and style attributes', () => {
    const el = dom('![pixel](https://evil.example/p.png) ![x](x" onerror="alert(1))');
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('[style], [onerror]')).toBeNull();
    expect(el.textContent).toContain('[pixel]');
  });
});
