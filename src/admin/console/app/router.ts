// Path routing under /admin with the History API: the server answers every
// /admin/* path with the same index.html, so links are real URLs.
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/admin';

export function navigate(path: string): void {
  if (location.pathname + location.search === path) return;
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The path below /admin ("" for the overview), kept in sync with the address bar. */
export function usePath(): string {
  const read = (): string => location.pathname.replace(/^\/admin\/?/, '').replace(/\/$/, '');
  const [p, setP] = useState(read);
  useEffect(() => {
    const on = (): void => setP(read());
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return p;
}

/** Same-origin link clicks go through navigate() (modifier clicks open as usual). */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as Element | null)?.closest('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith(`${BASE}`) || a.hasAttribute('download')) return;
  e.preventDefault();
  navigate(href);
}
