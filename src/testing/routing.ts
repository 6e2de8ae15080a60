/**
 * Calls by URL path go through the same routing as the local server (`/.netlify/functions/<name>`, a
 * v2 `config.path` with its `method` and `excludedPath`, a netlify.toml rewrite), so a test reaches a
 * function the way a browser would, and a `config.path` function gets its `context.params`.
 */
import type { FunctionInfo } from '../sim/api.ts';
import { RouteTable } from '../server/routes.ts';
import { TestingError } from './errors.ts';
import type { SiteRedirect } from './site-layout.ts';

/** Where a path led: the function, and the named groups of the `config.path` pattern that matched. */
export interface RoutedCall {
  name: string;
  params?: Record<string, string>;
}

/** Resolves request paths to functions for one set of functions and redirects. */
export class PathRouter {
  readonly #table: RouteTable;

  constructor(functions: readonly FunctionInfo[], redirects: readonly SiteRedirect[]) {
    this.#table = new RouteTable(functions, redirects);
  }

  /** The function that serves `pathname` for `method`; a `TestingError` (`NO_ROUTE`) saying why when none does. */
  route(pathname: string, method: string): RoutedCall {
    const match = this.#table.match(pathname, { method });
    if (match.kind === 'function') return match.params ? { name: match.name, params: match.params } : { name: match.name };
    const why = 'message' in match ? match.message : `${pathname} is the simulator's own endpoint`;
    throw new TestingError('NO_ROUTE', `no function serves ${method} ${pathname}: ${why}`);
  }
}
