// Model output is untrusted: it is rendered as markdown with raw HTML disabled (shown as text),
// then sanitized by DOMPurify with a short allow-list, safe link protocols only, no images
// (remote images would also leak the reader's address) and no style attributes (the CSP forbids them).
import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const marked = new Marked({ gfm: true, async: false });
marked.use({
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag) {
      return escape(token.text);
    },
    image(token: Tokens.Image) {
      return escape(token.text ? `[${token.text}]` : '[image]');
    },
  },
});

const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span',
];
const ALLOWED_ATTR = ['href', 'title', 'class', 'start', 'align'];
/** http, https and mailto links, and in-page anchors; nothing else (no javascript:, data:, …). */
const SAFE_URL = /^(?:https?:\/\/|mailto:|#)/i;

let hooked = false;
function purifier() {
  if (!hooked) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.nodeName === 'A') {
        const href = node.getAttribute('href');
        if (href !== null && !SAFE_URL.test(href.trim())) node.removeAttribute('href');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
        node.setAttribute('target', '_blank');
      }
      const cls = node.getAttribute('class');
      if (cls !== null && !/^(language-[\w+-]+|hljs[\w -]*)$/.test(cls)) node.removeAttribute('class');
    });
    hooked = true;
  }
  return DOMPurify;
}

/** Markdown → sanitized HTML, safe to assign to `innerHTML`. */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source) as string;
  return purifier().sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: [...ALLOWED_ATTR, 'rel', 'target'],
    ALLOWED_URI_REGEXP: SAFE_URL,
    ALLOW_DATA_ATTR: false,
    FORBID_ATTR: ['style'],
  });
}
