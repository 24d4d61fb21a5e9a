/** Hash routing in the page (route.ts parses): the server serves one page, the OIDC redirect lands on it. */
import { useEffect, useState } from 'preact/hooks';
import { parseRoute } from './route.ts';
import type { Route } from './route.ts';

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
