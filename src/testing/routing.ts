/**
 * Calls by URL path go through the same routing as the local server (`/.netlify/functions/<name>`, a
 * v2 `config.path`, a netlify.toml rewrite), so a test reaches a function the way a browser would.
 */
import type { FunctionInfo } from '../sim/api.ts';
import { RouteTable } from '../server/routes.ts';
import { TestingError } from './errors.ts';
import type { SiteRedirect } from './site-layout.ts';

/** Resolves request paths to function names for one set of functions and redirects. */
export class PathRouter {
  readonly #table: RouteTable;

  constructor(functions: readonly FunctionInfo[], redirects: readonly SiteRedirect[]) {
    this.#table = new RouteTable(functions, redirects);
  }

  /** The function that serves `pathname`; a `TestingError` (`NO_ROUTE`) saying why when none does. */
  functionFor(pathname: string): string {
    const match = this.#table.match(pathname);
    if (match.kind === 'function') return match.name;
    const why = match.kind === 'not-found' ? match.message : `${pathname} is the simulator's own endpoint`;
    throw new TestingError('NO_ROUTE', `no function serves ${pathname}: ${why}`);
  }
}
