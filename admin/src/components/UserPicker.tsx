// Choose a user of the tenant by typing part of their e-mail address or name.
import { useId, useState } from 'react';
import { $api, type Schemas } from '../api/client';
import { useDebounced } from '../hooks';

export function UserPicker({ label, value, onChange }: { label: string; value: Schemas['UserView'] | null; onChange: (u: Schemas['UserView'] | null) => void }) {
  const [text, setText] = useState(value?.email ?? '');
  const q = useDebounced(text.trim(), 250);
  const listId = useId();
  const users = $api.useQuery('get', '/v1/users', { params: { query: { q: q || undefined, limit: 20 } } }, { enabled: q.length > 0 });
  const items = users.data?.items ?? [];
  const inputId = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        aria-describedby={hintId}
        type="text"
        list={listId}
        autoComplete="off"
        placeholder="Type an e-mail address or name"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const found = items.find((u) => u.email === e.target.value.trim());
          onChange(found ?? null);
        }}
        onBlur={() => {
          const found = items.find((u) => u.email.toLowerCase() === text.trim().toLowerCase());
          if (found && found.id !== value?.id) onChange(found);
        }}
      />
      <datalist id={listId}>
        {items.map((u) => <option key={u.id} value={u.email}>{u.display_name}</option>)}
      </datalist>
      <span id={hintId} className="muted small" aria-live="polite">
        {value ? `${value.email} chosen.` : text && q && !users.isFetching ? (items.length ? 'Pick one of the suggestions.' : 'No user matches.') : ''}
      </span>
    </div>
  );
}
