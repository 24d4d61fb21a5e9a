/** Hash routes (`#/approvals`, `#/lineage/<id>`, …): the server serves one page, the OIDC redirect lands on it. */
import { useEffect, useState } from 'preact/hooks';

export type Route = { page: 'approvals' } | { page: 'lineage'; id: string | null } | { page: 'operations' } | { page: 'trends' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  switch (parts[0]) {
    case 'lineage':
      return { page: 'lineage', id: parts[1] === undefined || parts[1] === '' ? null : decodeURIComponent(parts[1]) };
    case 'operations':
      return { page: 'operations' };
    case 'trends':
      return { page: 'trends' };
    default:
      return { page: 'approvals' };
  }
}

export function navigate(path: string): void {
  location.hash = `#${path}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
