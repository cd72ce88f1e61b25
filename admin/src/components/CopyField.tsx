// A value to paste elsewhere (a redirect URI, a DNS record): read-only, selected on focus, with a
// Copy button. Where the browser refuses the clipboard, the text is selected for Ctrl+C instead.
import { useId, useRef, useState } from 'react';
import { useNotify } from './notify';

export function CopyField({ label, value, what }: { label: string; value: string; /** For the button and the notice, e.g. "the redirect URI". */ what: string }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const notify = useNotify();
  const [copied, setCopied] = useState(false);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
      notify.ok(`Copied ${what}.`);
    } catch {
      input.current?.focus();
      input.current?.select();
      notify.error('The browser does not allow copying here: the text is selected, press Ctrl+C (⌘C on a Mac).');
    }
  };

  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input ref={input} id={id} type="text" readOnly className="mono" value={value} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" className="ghost small" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
          <span className="visually-hidden"> {what}</span>
        </button>
      </div>
    </div>
  );
}
