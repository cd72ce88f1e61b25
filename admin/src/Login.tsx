import { useState, type FormEvent, type ReactNode } from 'react';
import { ConfabError, api, type Schemas } from './api/client';
import { describeError } from './errors';

export function Login({
  onSignedIn,
  onRefused,
  themeToggle,
  notice,
}: {
  onSignedIn: (me: Schemas['MeView']) => void;
  onRefused: () => void;
  themeToggle: ReactNode;
  notice: string | null;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { data } = await api.POST('/v1/auth/login', { body: { email, password } });
      if (data) onSignedIn(data);
    } catch (err) {
      if (err instanceof ConfabError && err.status === 403) onRefused();
      else setError(err instanceof ConfabError && err.status === 401 ? 'The e-mail address or password is incorrect.' : describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="center-page">
      <div className="corner">{themeToggle}</div>
      <h1>Confab admin</h1>
      <p>Sign in to govern your organisation's Confab.</p>
      {notice && <p className="notice-inline" role="status">{notice}</p>}
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <label>
          E-mail
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
