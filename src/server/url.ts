/**
 * The request target and the URL a function sees, kept apart from the server so each rule can be
 * tested on its own (as @hono/node-server keeps its `url.ts`).
 */

/** True for an address that listens on every interface. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** True for an address only this machine can reach (127.0.0.0/8, ::1, and their IPv4-mapped forms). */
export function isLoopback(address: string): boolean {
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return plain === '::1' || plain === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(plain);
}

/**
 * Whether `/__sim/*` answers a client at `remoteAddress`. It shows pending request URLs and bundle
 * hashes, so by default only this machine may see it; `exposed` (SIM_EXPOSE=1) opens it to all.
 */
export function simAccessAllowed(remoteAddress: string | undefined, exposed: boolean): boolean {
  return exposed || isLoopback(remoteAddress ?? '');
}

/** A host as it appears in a URL: wildcard addresses become localhost, IPv6 gets brackets. */
export function urlHost(host: string): string {
  if (isWildcard(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The request target as a URL. Origin-form (`/path?query`) is appended to the server's address rather
 * than resolved against it, so `//host/x` stays a path instead of naming another host; absolute-form
 * (`http://host/path`, as sent to proxies) is taken as it is; anything else (`*`) throws.
 */
export function parseTarget(target: string, base: string): URL {
  return target.startsWith('/') ? new URL(`${base}${target}`) : new URL(target);
}

/**
 * The URL the function sees: the client's Host header, so `rawUrl` reads as the client typed it.
 * `host` is the Host header as received (undefined when absent); `fallbackBase` is the server's own
 * address, used when the Host header is missing or malformed.
 */
export function publicUrl(url: URL, host: string | undefined, fallbackBase: string): string {
  // The usual case, a client that names the server as it listens and sends an origin-form target:
  // the parsed target is already that URL. Only path and query count (no scheme, credentials or
  // fragment from an absolute-form target), so it is reused only when it holds nothing else.
  if (host === url.host) {
    const href = `http://${host}${url.pathname}${url.search}`;
    if (url.href === href) return href;
  }
  if (host !== undefined) {
    try {
      return new URL(`${url.pathname}${url.search}`, `http://${host}`).href;
    } catch {
      // A malformed Host header: fall back to the server's own address.
    }
  }
  return new URL(`${url.pathname}${url.search}`, fallbackBase).href;
}

/**
 * {@link parseTarget} and {@link publicUrl} that remember their last answer. A server under load sees
 * the same target from the same Host again and again (a test hammering one function), and parsing it
 * twice per request was a visible share of the server's thread. The URL returned is shared between the
 * requests that share its target, so callers must only read it.
 */
export class TargetParser {
  readonly #base: string;
  #last: { target: string; url: URL } | undefined;
  #lastPublic: { url: URL; host: string | undefined; href: string } | undefined;

  /** `base` is the server's own address (see {@link parseTarget}). */
  constructor(base: string) {
    this.#base = base;
  }

  /** The request target as a URL; throws as {@link parseTarget} does. */
  parse(target: string): URL {
    if (this.#last?.target === target) return this.#last.url;
    const url = parseTarget(target, this.#base);
    this.#last = { target, url };
    return url;
  }

  /** {@link publicUrl} of a URL this parser returned. */
  publicUrl(url: URL, host: string | undefined): string {
    const last = this.#lastPublic;
    if (last?.url === url && last.host === host) return last.href;
    const href = publicUrl(url, host, this.#base);
    this.#lastPublic = { url, host, href };
    return href;
  }
}
