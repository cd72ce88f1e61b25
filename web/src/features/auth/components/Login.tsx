import { useState, type FormEvent, type ReactNode } from 'react';
import { ConfabError, api, call, type Me } from '../../../api/client';
import { describeError } from '../../../shared/errors';

export function Login({ onSignedIn, themeToggle }: { onSignedIn: (me: Me) => void; themeToggle: ReactNode }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await call(api.POST('/v1/auth/login', { body: { email, password } }), { quiet401: true }));
    } catch (err) {
      setError(err instanceof ConfabError && err.status === 401 ? 'The e-mail address or password is incorrect.' : describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="center-page">
      <div className="corner">{themeToggle}</div>
      <h1>Confab</h1>
      <p>Sign in to chat.</p>
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
