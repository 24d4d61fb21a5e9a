/** Hash routes as data (`#/approvals`, `#/lineage/<id>`, …): parsing only, no browser or preact, so it is testable anywhere. */
export type Route = { page: 'approvals' } | { page: 'lineage'; id: string | null } | { page: 'operations' } | { page: 'trends' };

/** A path segment decoded; one that is not valid percent-encoding (`%`, `%zz`) is taken as written (a lookup then finds nothing). */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The route a location hash names; any hash at all gives a route (a link cannot break the page). */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  switch (parts[0]) {
    case 'lineage':
      return { page: 'lineage', id: parts[1] === undefined || parts[1] === '' ? null : decoded(parts[1]) };
    case 'operations':
      return { page: 'operations' };
    case 'trends':
      return { page: 'trends' };
    default:
      return { page: 'approvals' };
  }
}
