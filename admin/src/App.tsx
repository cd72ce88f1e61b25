import { Component, lazy, Suspense, useEffect, useMemo, useState, type ComponentType, type ReactNode } from 'react';
import { QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { $api, ConfabError, api, queryClient, setCsrfToken, setUnauthorizedHandler } from './api/client';
import { accessOf, canOpen, consoleTenants, hasAccess, homeView, viewsFor, type Me, type ViewId } from './auth/access';
import { SessionContext } from './auth/context';
import { ConfirmProvider } from './components/confirm';
import { focusTitleOnNextPage } from './components/focus';
import { NotifyProvider, useNotify } from './components/notify';
import { describeError } from './errors';
import { Login } from './Login';
import { navigate, routeHash, useRoute } from './router';

type Theme = 'light' | 'dark';
function initialTheme(): Theme {
  const saved = localStorage.getItem('confab.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

// Each view is its own chunk: the first page loads only what it shows.
const VIEW_COMPONENTS: Record<ViewId, ComponentType> = {
  overview: lazy(() => import('./features/overview/OverviewView')),
  users: lazy(() => import('./features/users/UsersView')),
  audit: lazy(() => import('./features/audit/TenantAuditView')),
  usage: lazy(() => import('./features/usage/UsageView')),
  models: lazy(() => import('./features/models/ModelsView')),
  presets: lazy(() => import('./features/presets/PresetsView')),
  plugins: lazy(() => import('./features/plugins/PluginsView')),
  sharing: lazy(() => import('./features/sharing/SharingView')),
  retention: lazy(() => import('./features/retention/RetentionView')),
  siem: lazy(() => import('./features/siem/TenantSinksView')),
  identity: lazy(() => import('./features/identity/IdentityView')),
  'platform/tenants': lazy(() => import('./features/platform/TenantsView')),
  'platform/plugins': lazy(() => import('./features/platform/PluginUploadsView')),
  'platform/audit': lazy(() => import('./features/audit/PlatformAuditView')),
  'platform/siem': lazy(() => import('./features/siem/PlatformSinksView')),
  'platform/retention': lazy(() => import('./features/retention/PlatformRetentionView')),
  'platform/health': lazy(() => import('./features/platform/HealthView')),
};

export function App() {
  return (
    <ErrorBoundary>
      <QueryClientProvider client={queryClient}>
        <NotifyProvider>
          <ConfirmProvider>
            <Shell />
          </ConfirmProvider>
        </NotifyProvider>
      </QueryClientProvider>
    </ErrorBoundary>
  );
}

const ME_KEY = $api.queryOptions('get', '/v1/me').queryKey;

function Shell() {
  const client = useQueryClient();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [ended, setEnded] = useState(false);
  const [refused, setRefused] = useState(false);
  const me = $api.useQuery('get', '/v1/me', undefined, { retry: false, staleTime: Infinity });

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('confab.theme', theme);
  }, [theme]);
  useEffect(() => setCsrfToken(me.data?.csrf_token), [me.data]);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setEnded(true);
      client.removeQueries({ predicate: (q) => q.queryKey[1] !== '/v1/me' });
      void client.resetQueries({ queryKey: ME_KEY });
    });
  }, [client]);

  const themeToggle = (
    <button type="button" className="ghost small" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  );

  const signOut = async () => {
    try {
      await api.POST('/v1/auth/logout');
    } catch {
      /* the session is gone either way */
    }
    setCsrfToken(null);
    setRefused(false);
    setEnded(false);
    client.removeQueries({ predicate: (q) => q.queryKey[1] !== '/v1/me' });
    await client.resetQueries({ queryKey: ME_KEY });
  };

  const unauthenticated = me.error instanceof ConfabError && me.error.status === 401;
  if (refused) return <NoAccess themeToggle={themeToggle} onSignOut={() => void signOut()} />;
  if (me.isPending) return <main className="center-page" aria-busy="true"><p>Loading…</p></main>;
  if (unauthenticated || (!me.data && !me.error)) {
    return (
      <Login
        themeToggle={themeToggle}
        notice={ended ? 'Your session has ended. Please sign in again.' : null}
        onRefused={() => setRefused(true)}
        onSignedIn={(m) => {
          setCsrfToken(m.csrf_token);
          setEnded(false);
          client.setQueryData(ME_KEY, m);
        }}
      />
    );
  }
  if (me.error || !me.data) {
    return (
      <main className="center-page">
        <h1>Confab admin</h1>
        <p role="alert" className="error">{describeError(me.error)}</p>
        <button type="button" onClick={() => void me.refetch()}>Try again</button>
      </main>
    );
  }
  const access = accessOf(me.data);
  if (!hasAccess(access)) return <NoAccess themeToggle={themeToggle} onSignOut={() => void signOut()} me={me.data} />;
  return <Console me={me.data} themeToggle={themeToggle} onSignOut={() => void signOut()} />;
}

function Console({ me, themeToggle, onSignOut }: { me: Me; themeToggle: ReactNode; onSignOut: () => void }) {
  const route = useRoute();
  const client = useQueryClient();
  const notify = useNotify();
  const [menuOpen, setMenuOpen] = useState(false);
  const session = useMemo(() => ({ me, access: accessOf(me) }), [me]);
  const views = viewsFor(session.access);
  const home = homeView(session.access);
  const current = views.find((v) => v.id === route.path);

  useEffect(() => {
    if (!current && home) navigate(home, {}, true);
  }, [current, home]);
  useEffect(() => setMenuOpen(false), [route.path]);
  useEffect(() => {
    document.title = current ? `${current.label} · Confab admin` : 'Confab admin';
  }, [current]);

  const tenants = consoleTenants(me);
  const switchTenant = async (id: string) => {
    try {
      const { data } = await api.PUT('/v1/me/active-tenant', { body: { tenant_id: id } });
      if (!data) return;
      if (data.csrf_token) setCsrfToken(data.csrf_token);
      client.removeQueries({ predicate: (q) => q.queryKey[1] !== '/v1/me' });
      client.setQueryData(ME_KEY, data);
      const next = accessOf(data);
      if (!canOpen(next, route.path)) navigate(homeView(next) ?? '', {}, true);
      notify.ok(`Now governing ${data.active_tenant?.name ?? 'the platform'}.`);
    } catch (e) {
      notify.error(e);
    }
  };

  const View = current ? VIEW_COMPONENTS[current.id] : null;
  const section = (name: 'tenant' | 'platform') => views.filter((v) => v.section === name);
  const navList = (items: typeof views) => (
    <ul>
      {items.map((v) => (
        <li key={v.id}>
          <a href={routeHash(v.id)} aria-current={current?.id === v.id ? 'page' : undefined} onClick={() => focusTitleOnNextPage()}>
            {v.label}
          </a>
        </li>
      ))}
    </ul>
  );

  return (
    <SessionContext.Provider value={session}>
      <div className={`console${menuOpen ? ' menu-open' : ''}`}>
        <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
        <header className="topbar" role="banner">
          <button type="button" className="ghost small menu-button" aria-expanded={menuOpen} aria-controls="admin-nav" onClick={() => setMenuOpen(!menuOpen)}>
            {menuOpen ? 'Close menu' : 'Menu'}
          </button>
          <span className="brand">Confab <span className="brand-sub">admin</span></span>
          <div className="topbar-right">
            {tenants.length > 1 ? (
              <label className="tenant-switch">
                <span className="visually-hidden">Tenant</span>
                <select value={me.active_tenant?.id ?? ''} onChange={(e) => void switchTenant(e.target.value)}>
                  {!me.active_tenant && <option value="">(no tenant)</option>}
                  {tenants.map((t) => <option key={t.id} value={t.id}>{t.name} · {roleLabel(t.role)}</option>)}
                </select>
              </label>
            ) : (
              session.access.tenant && <span className="muted tenant-name">{session.access.tenant.name} · {roleLabel(session.access.tenant.role)}</span>
            )}
            <span className="muted account" title={me.email}>{me.display_name || me.email}</span>
            {themeToggle}
            <button type="button" className="ghost small" onClick={onSignOut}>Sign out</button>
          </div>
        </header>
        <nav id="admin-nav" className="side-nav" aria-label="Admin sections">
          {section('tenant').length > 0 && (
            <>
              <h2 className="nav-heading">{session.access.tenant?.name ?? 'Tenant'}</h2>
              {session.access.tenantRole === 'auditor' && <p className="nav-note">Read-only (auditor)</p>}
              {navList(section('tenant'))}
            </>
          )}
          {section('platform').length > 0 && (
            <>
              <h2 className="nav-heading">Platform</h2>
              {navList(section('platform'))}
            </>
          )}
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          {View ? (
            <ViewBoundary key={current?.id}>
              <Suspense fallback={<p className="muted" aria-busy="true">Loading…</p>}>
                <View />
              </Suspense>
            </ViewBoundary>
          ) : (
            <p className="muted">Nothing to show.</p>
          )}
        </main>
      </div>
    </SessionContext.Provider>
  );
}

export function roleLabel(role: string): string {
  return role === 'tenant_admin' ? 'tenant admin' : role;
}

function NoAccess({ themeToggle, onSignOut, me }: { themeToggle: ReactNode; onSignOut: () => void; me?: Me }) {
  return (
    <main className="center-page no-access">
      <div className="corner">{themeToggle}</div>
      <h1>No access</h1>
      <p>
        {me ? <>The account <strong>{me.email}</strong> has </> : <>This account has </>}
        no access to the admin console. It is for tenant administrators, auditors and platform administrators.
      </p>
      <p className="muted">If you need access, ask a tenant administrator to give you the auditor or tenant admin role. The chat itself is unaffected.</p>
      <button type="button" onClick={onSignOut}>{me ? 'Sign out' : 'Back to sign in'}</button>
    </main>
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
        <h1>Confab admin</h1>
        <p role="alert">Something went wrong on this page.</p>
        <button type="button" onClick={() => location.reload()}>Reload</button>
      </main>
    );
  }
}

class ViewBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div role="alert" className="error-box">
        <p>This view failed to load or crashed. Reloading the page usually helps.</p>
        <button type="button" className="ghost small" onClick={() => location.reload()}>Reload</button>
      </div>
    );
  }
}
