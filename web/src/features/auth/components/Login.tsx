import { useState, type FormEvent, type ReactNode } from 'react';
import { ConfabError } from '../../../api/client';
import { describeError } from '../../../shared/errors';
import { useSignIn } from '../api';

export function Login({ themeToggle }: { themeToggle: ReactNode }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useSignIn();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate({ body: { email, password } });
  };
  const failure = signIn.error;
  const error = failure && (failure instanceof ConfabError && failure.status === 401 ? 'The e-mail address or password is incorrect.' : describeError(failure));

  return (
    <main className="center-page">
      <div className="corner">{themeToggle}</div>
      <h1>Confab</h1>
      <p>Sign in to chat.</p>
      <form className="stack" onSubmit={submit}>
        <label>
          E-mail
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" disabled={signIn.isPending}>{signIn.isPending ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
