import { QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { Component, useCallback, useEffect, useState, type ReactNode } from 'react';
import { flushSync } from 'react-dom';
import { api, call, setCsrfToken, setUnauthorizedHandler, type Me } from './api/client';
import { createQueryClient } from './api/query';
import { Chat } from './features/chat/components/Chat';
import { Login } from './features/auth/components/Login';
import { Presets } from './features/presets/components/Presets';
import { Sidebar } from './features/conversations/components/Sidebar';
import { Snapshot } from './features/shares/components/Snapshot';
import { describeError } from './shared/errors';
import { navigate, useRoute } from './router';
import { ToastProvider, useNotify } from './shared/toast';

type Theme = 'light' | 'dark';

function initialTheme(): Theme {
  const saved = localStorage.getItem('confab.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function App() {
  return (
    <ErrorBoundary>
      <ToastProvider>
        <QueryProvider>
          <Shell />
        </QueryProvider>
      </ToastProvider>
    </ErrorBoundary>
  );
}

/** The server state's cache, whose failures of requests that ask for it show as error toasts. */
function QueryProvider({ children }: { children: ReactNode }) {
  const notify = useNotify();
  const [client] = useState(() => createQueryClient({ onError: (e) => notify.error(describeError(e)) }));
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

function Shell() {
  const route = useRoute();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const [me, setMe] = useState<Me | null | 'loading'>('loading');
  const [loadError, setLoadError] = useState<string | null>(null);
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [sidebarOpen, setSidebarOpen] = useState(false);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('confab.theme', theme);
  }, [theme]);

  const loadMe = useCallback(async () => {
    try {
      const m = await call(api.GET('/v1/me'), { quiet401: true });
      setCsrfToken(m.csrf_token);
      setMe(m);
      setLoadError(null);
    } catch (e) {
      if ((e as { status?: number }).status === 401) setMe(null);
      else setLoadError(describeError(e));
    }
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setMe((current) => {
        if (current && current !== 'loading') notify.error('Your session has ended. Please sign in again.');
        return null;
      });
    });
    void loadMe();
  }, [loadMe, notify]);

  const signedIn = me !== null && me !== 'loading';
  useEffect(() => setSidebarOpen(false), [route]);

  const themeToggle = (
    <button type="button" className="ghost" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  );

  if (route.name === 'share') return <Snapshot token={route.token} signedIn={signedIn} themeToggle={themeToggle} />;
  if (loadError) {
    return (
      <main className="center-page">
        <h1>Confab</h1>
        <p role="alert" className="error">{loadError}</p>
        <button type="button" onClick={() => void loadMe()}>Try again</button>
      </main>
    );
  }
  if (me === 'loading') return <main className="center-page" aria-busy="true"><p>Loading…</p></main>;
  if (me === null) {
    return (
      <Login
        themeToggle={themeToggle}
        onSignedIn={(m) => {
          setCsrfToken(m.csrf_token);
          setMe(m);
        }}
      />
    );
  }

  const signOut = async () => {
    try {
      await call(api.POST('/v1/auth/logout'));
    } catch {
      /* the session is gone either way */
    }
    setCsrfToken(null);
    setMe(null);
    navigate('/');
  };

  const switchTenant = async (id: string) => {
    try {
      const m = await call(api.PUT('/v1/me/active-tenant', { body: { tenant_id: id } }));
      if (m.csrf_token) setCsrfToken(m.csrf_token);
      setMe(m);
      // Leave the open conversation first, so that it is not reloaded from the other organisation;
      // nothing cached from this one applies there (not even a list's cursors).
      flushSync(() => navigate('/'));
      void queryClient.resetQueries();
    } catch (e) {
      notify.error(describeError(e));
    }
  };

  let main: ReactNode;
  switch (route.name) {
    case 'chat':
      main = <Chat key={route.id} conversationId={route.id} me={me} />;
      break;
    case 'home':
      main = <Chat key="new" conversationId={null} me={me} />;
      break;
    case 'presets':
      main = <Presets />;
      break;
    case 'shared':
      main = <Snapshot shareId={route.id} signedIn themeToggle={null} />;
      break;
    default:
      main = (
        <div className="empty-state">
          <h2>Page not found</h2>
          <p><a href="/" onClick={(e) => { e.preventDefault(); navigate('/'); }}>Start a new chat</a></p>
        </div>
      );
  }

  return (
    <div className={`layout${sidebarOpen ? ' sidebar-open' : ''}`}>
      <a className="skip-link" href="#main">Skip to chat</a>
      <Sidebar
        me={me}
        activeId={route.name === 'chat' ? route.id : null}
        onSignOut={() => void signOut()}
        onSwitchTenant={(id) => void switchTenant(id)}
        themeToggle={themeToggle}
        onClose={() => setSidebarOpen(false)}
      />
      <button type="button" className="backdrop" tabIndex={-1} aria-hidden="true" onClick={() => setSidebarOpen(false)} />
      <div className="main-column">
        <div className="topbar">
          <button type="button" className="ghost menu-button" aria-label="Show conversations" aria-expanded={sidebarOpen} onClick={() => setSidebarOpen(!sidebarOpen)}>☰</button>
          <span className="brand">Confab</span>
        </div>
        <main id="main" className="main">{main}</main>
      </div>
    </div>
  );
}

class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  render() {
    if (!this.state.failed) return this.props.children;
    return (
      <main className="center-page">
        <h1>Confab</h1>
        <p role="alert">Something went wrong on this page. Your drafts are saved.</p>
        <button type="button" onClick={() => location.reload()}>Reload</button>
      </main>
    );
  }
}
