// The admin console's entry: the sign-in gate, the navigation, one page per
// area of the admin API. Focus moves to each page's heading on navigation
// and a polite live region announces page changes for screen readers.
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText, setUnauthorizedHandler, tokenStore } from './api.ts';
import { BASE, onLinkClick, usePath } from './router.ts';
import { AnalyticsPage } from './pages/AnalyticsPage.tsx';
import { AuditPage } from './pages/AuditPage.tsx';
import { ClientsPage } from './pages/ClientsPage.tsx';
import { PolicyPage } from './pages/PolicyPage.tsx';
import { SessionDetailPage, SessionsPage } from './pages/SessionsPage.tsx';
import { SystemPage } from './pages/SystemPage.tsx';
import { UsersPage } from './pages/UsersPage.tsx';
import { WebhooksPage } from './pages/WebhooksPage.tsx';

interface PageDef {
  readonly path: string;
  readonly title: string;
}
const PAGES: readonly PageDef[] = [
  { path: 'clients', title: 'Clients' },
  { path: 'policy', title: 'Policy' },
  { path: 'users', title: 'Users' },
  { path: 'sessions', title: 'Sessions' },
  { path: 'audit', title: 'Audit log' },
  { path: 'webhooks', title: 'Webhooks' },
  { path: 'analytics', title: 'Analytics' },
  { path: 'system', title: 'System' },
];

function SignIn(p: { readonly onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      await api.check(token.trim());
      tokenStore.set(token.trim());
      p.onSignedIn();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>facegate admin console</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby="signin-help">
        <p id="signin-help">
          Sign in with the admin token: <code>ADMIN_TOKEN</code>, or the file <code>admin-token</code> in the data directory
          (<code>FACEGATE_DATA_DIR</code>, default <code>./data</code>).
        </p>
        <div class="field">
          <label for="admin-token">Admin token</label>
          <input id="admin-token" name="token" type="password" autocomplete="current-password" required value={token} onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <button type="submit" disabled={busy}>Sign in</button>
        {error !== null ? <p role="alert" class="msg error">Sign-in failed: {error}</p> : null}
      </form>
    </main>
  );
}

function Page(p: { readonly path: string }) {
  const [area, ...rest] = p.path.split('/');
  switch (area) {
    case '':
    case 'clients':
      return <ClientsPage />;
    case 'policy':
      return <PolicyPage />;
    case 'users':
      return <UsersPage />;
    case 'sessions':
      return rest[0] ? <SessionDetailPage sessionId={decodeURIComponent(rest[0])} /> : <SessionsPage />;
    case 'audit':
      return <AuditPage />;
    case 'webhooks':
      return <WebhooksPage />;
    case 'analytics':
      return <AnalyticsPage />;
    case 'system':
      return <SystemPage />;
    default:
      return (
        <>
          <h1 tabIndex={-1}>Not found</h1>
          <p>
            No console page at this address. <a href={`${BASE}/clients`}>Go to clients</a>.
          </p>
        </>
      );
  }
}

function Console(p: { readonly onSignOut: () => void }) {
  const path = usePath();
  const area = path.split('/')[0] || 'clients';
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  const current = PAGES.find((x) => x.path === area);
  useEffect(() => {
    document.title = `${current?.title ?? 'Not found'} · facegate admin`;
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [path]);
  return (
    <div class="layout" onClick={onLinkClick}>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">facegate admin</span>
        <button type="button" class="secondary" onClick={p.onSignOut}>Sign out</button>
      </header>
      <nav aria-label="Console">
        <ul>
          {PAGES.map((x) => (
            <li key={x.path}>
              <a href={`${BASE}/${x.path}`} aria-current={x.path === area ? 'page' : undefined}>{x.title}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <Page path={path} />
      </main>
      <p class="visually-hidden" aria-live="polite">{current ? `${current.title} page` : ''}</p>
    </div>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(tokenStore.get() !== null);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      tokenStore.clear();
      setSignedIn(false);
    });
  }, []);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  return (
    <Console
      onSignOut={() => {
        tokenStore.clear();
        setSignedIn(false);
      }}
    />
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
