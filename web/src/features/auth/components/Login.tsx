import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ConfabError } from '../../../api/client';
import { describeError } from '../../../shared/errors';
import { useDebouncedValue } from '../../../shared/useDebouncedValue';
import { ssoErrorMessage, takeSsoParams, useSsoButton, type SsoButton } from '../sso';
import { useSignIn } from '../api';

export function Login({ themeToggle }: { themeToggle: ReactNode }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [usePassword, setUsePassword] = useState(false);
  // `?sso_error=` (a failed single sign-on) and `?tenant=` (its button at once), read once.
  const [{ ssoError, tenant }] = useState(takeSsoParams);
  const signIn = useSignIn();
  const typed = useDebouncedValue(email.trim(), 300);
  const sso = useSsoButton(tenant, typed);

  useEffect(() => {
    if (sso?.passwords_allowed !== false) setUsePassword(false);
  }, [sso?.passwords_allowed]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate({ body: { email, password } });
  };
  const failure = signIn.error;
  const error =
    failure && (failure instanceof ConfabError && failure.status === 401 ? 'The e-mail address or password is incorrect.' : describeError(failure));
  const passwordsHidden = sso?.passwords_allowed === false && !usePassword;

  return (
    <main className="center-page">
      <div className="corner">{themeToggle}</div>
      <h1>Confab</h1>
      <p>Sign in to chat.</p>
      {ssoError && (
        <p className="error" role="alert">
          {ssoErrorMessage(ssoError)}
        </p>
      )}
      {sso && <SsoLink button={sso} email={email} />}
      <form className="stack" onSubmit={submit}>
        <label>
          E-mail
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        {passwordsHidden ? (
          <p className="muted">
            Your organization signs in with {sso.display_name}.{' '}
            <button type="button" className="ghost small" onClick={() => setUsePassword(true)}>
              Administrator sign-in with a password
            </button>
          </p>
        ) : (
          <>
            <label>
              Password
              <input
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            {error && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className={sso ? 'ghost' : undefined} disabled={signIn.isPending}>
              {signIn.isPending ? 'Signing in…' : sso ? 'Sign in with a password' : 'Sign in'}
            </button>
          </>
        )}
      </form>
    </main>
  );
}

/** The "Sign in with …" button: a plain link, the server redirects to the provider. */
function SsoLink({ button, email }: { button: SsoButton; email: string }) {
  const hint = email.includes('@') ? `?login_hint=${encodeURIComponent(email.trim())}` : '';
  return (
    <p className="sso">
      <a className="button" href={`${button.start_url}${hint}`}>
        Sign in with {button.display_name}
      </a>
    </p>
  );
}
