import { QueryClientProvider } from '@tanstack/react-query';
import { Component, useEffect, useState, type ReactNode } from 'react';
import { createQueryClient } from './api/query';
import { useSession, useSessionEndNotice, useSignOut, useSwitchTenant } from './features/auth/api';
import { Login } from './features/auth/components/Login';
import { Chat } from './features/chat/components/Chat';
import { Sidebar } from './features/conversations/components/Sidebar';
import { Presets } from './features/presets/components/Presets';
import { PrivateChat } from './features/private/components/PrivateChat';
import { PrivateChatsProvider } from './features/private/components/PrivateChatsProvider';
import { Snapshot } from './features/shares/components/Snapshot';
import { navigate, useRoute } from './router';
import { ConfirmProvider } from './shared/confirm';
import { describeError } from './shared/errors';
import { useThemeToggle } from './shared/theme';
import { ToastProvider, useNotify } from './shared/toast';

export function App() {
  return (
    <ErrorBoundary>
      <ToastProvider>
        <ConfirmProvider>
          <QueryProvider>
            <Shell />
          </QueryProvider>
        </ConfirmProvider>
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
  const themeToggle = useThemeToggle();
  const session = useSession();
  useSessionEndNotice();
  const signOut = useSignOut();
  const switchTenant = useSwitchTenant();
  const [sidebarOpen, setSidebarOpen] = useState(false);

  useEffect(() => setSidebarOpen(false), [route]);

  const me = session.data;
  if (route.name === 'share') return <Snapshot token={route.token} signedIn={!!me} themeToggle={themeToggle} />;
  if (session.error) {
    return (
      <main className="center-page">
        <h1>Confab</h1>
        <p role="alert" className="error">{describeError(session.error)}</p>
        <button type="button" onClick={() => void session.refetch()}>Try again</button>
      </main>
    );
  }
  if (me === undefined) return <main className="center-page" aria-busy="true"><p>Loading…</p></main>;
  if (me === null) return <Login themeToggle={themeToggle} />;

  let main: ReactNode;
  switch (route.name) {
    case 'chat':
      main = <Chat key={route.id} conversationId={route.id} me={me} />;
      break;
    case 'home':
      main = <Chat key="new" conversationId={null} me={me} />;
      break;
    case 'private':
      main = <PrivateChat key={route.id ?? 'new'} id={route.id} />;
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
    <PrivateChatsProvider owner={`${me.id}:${me.active_tenant?.id ?? ''}`}>
      <div className={`layout${sidebarOpen ? ' sidebar-open' : ''}`}>
        <a className="skip-link" href="#main">Skip to chat</a>
        <Sidebar
          me={me}
          activeId={route.name === 'chat' ? route.id : null}
          activePrivateId={route.name === 'private' ? route.id : null}
          onSignOut={() => signOut.mutate({})}
          onSwitchTenant={(id) => switchTenant.mutate({ body: { tenant_id: id } })}
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
    </PrivateChatsProvider>
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
