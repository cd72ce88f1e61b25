import type { Schemas } from '../../../api/client';

/** Search hits, the matched words highlighted; `onOpen` opens a hit's conversation. */
export function SearchResults({ hits, onOpen }: { hits: Schemas['SearchHitView'][]; onOpen: (path: string) => void }) {
  return (
    <ul className="conversations search-results" aria-label="Search results">
      {hits.length === 0 && <li className="muted">No matches.</li>}
      {hits.map((h, i) => (
        <li key={`${h.conversation_id}-${h.message_id ?? 't'}-${i}`}>
          <a href={`/c/${h.conversation_id}`} onClick={(e) => { e.preventDefault(); onOpen(`/c/${h.conversation_id}`); }}>
            <strong>{h.conversation_title}</strong>
            {h.conversation_archived && <span className="badge">archived</span>}
            <span className="snippet">
              {h.snippet.map((s, j) => (s.highlight ? <mark key={j}>{s.text}</mark> : <span key={j}>{s.text}</span>))}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}
