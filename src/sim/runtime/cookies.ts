/**
 * Inside a container: v2 `context.cookies`. `get` reads the request's `Cookie` header; `set` and
 * `delete` are recorded and, when the handler returns its Response, appended to it as `Set-Cookie`
 * headers, as production's bootstrap does (@netlify/serverless-functions-api's cookie store: `apply`
 * on a copy of the response headers). Serialisation follows that store: `name=value`, then `Secure`,
 * `HttpOnly`, `Max-Age`, `Domain`, `SameSite`, `Path`, `Expires`; `delete` sets an empty value that
 * expired at the epoch, on `Path=/` unless told otherwise.
 */

/** A cookie to set, as `context.cookies.set({...})` takes it. */
export interface CookieOptions {
  name: string;
  value: string;
  domain?: string;
  path?: string;
  expires?: Date | number;
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
}

/** What `context.cookies.delete({...})` takes. */
export interface CookieDeleteOptions {
  name: string;
  domain?: string;
  path?: string;
}

// RFC 6265 token: printable ASCII without separators.
const COOKIE_NAME = /^(?=[\u0020-\u007E]*$)[^()@<>,;:\\"[\]?={}\s]+$/;
// RFC 6265 cookie-octet (no CTLs, whitespace, DQUOTE, comma, semicolon or backslash).
const COOKIE_VALUE = /^[\u0021\u0023-\u002B\u002D-\u003A\u003C-\u005B\u005D-\u007E]*$/;

function serialize(cookie: CookieOptions): string {
  if (!COOKIE_NAME.test(cookie.name)) throw new TypeError(`Invalid cookie name: "${cookie.name}".`);
  if (!COOKIE_VALUE.test(cookie.value)) throw new TypeError(`Invalid value for cookie "${cookie.name}"`);
  const parts = [`${cookie.name}=${cookie.value}`];
  const secure = cookie.secure === true || cookie.name.startsWith('__Secure') || cookie.name.startsWith('__Host');
  const hostOnly = cookie.name.startsWith('__Host');
  if (secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (typeof cookie.maxAge === 'number' && Number.isInteger(cookie.maxAge) && cookie.maxAge >= 0) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.domain && !hostOnly) parts.push(`Domain=${cookie.domain}`);
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  const path = hostOnly ? '/' : cookie.path;
  if (path) parts.push(`Path=${path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  return parts.join('; ');
}

/** The per-invocation cookie store behind `context.cookies`. */
export class CookieStore {
  #requestCookies: Map<string, string>;
  #setCookies: string[] = [];

  constructor(cookieHeader: string | null) {
    this.#requestCookies = new Map();
    for (const pair of (cookieHeader ?? '').split(';')) {
      const [name = '', ...rest] = pair.split('=');
      if (name.trim() !== '') this.#requestCookies.set(name.trim(), rest.join('='));
    }
  }

  /** The value of a cookie the request sent. */
  get(name: string): string | undefined {
    return this.#requestCookies.get(name);
  }

  /** Adds a `Set-Cookie` to the response. Throws a TypeError for an invalid name or value (production throws the same when it applies the cookies to the response; either way the request fails). */
  set(nameOrOptions: string | CookieOptions, value?: string): void {
    if (typeof nameOrOptions === 'string') {
      if (typeof value !== 'string') throw new TypeError("You must provide the cookie value as a string to 'cookies.set'");
      this.#setCookies.push(serialize({ name: nameOrOptions, value }));
      return;
    }
    this.#setCookies.push(serialize(nameOrOptions));
  }

  /** Expires a cookie: an empty value with an Expires at the epoch. */
  delete(nameOrOptions: string | CookieDeleteOptions): void {
    const options = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : nameOrOptions;
    this.#setCookies.push(serialize({ path: '/', ...options, value: '', expires: 0 }));
  }

  /** What the handler sees as `context.cookies`. */
  publicInterface(): { get: CookieStore['get']; set: CookieStore['set']; delete: CookieStore['delete'] } {
    return { get: this.get.bind(this), set: this.set.bind(this), delete: this.delete.bind(this) };
  }

  /** The `Set-Cookie` values recorded, in call order. */
  setCookieHeaders(): string[] {
    return [...this.#setCookies];
  }
}
