/**
 * The site's publish directory (netlify.toml `[build] publish`), served as Netlify's CDN and netlify dev
 * serve it: a file by its path, `index.html` for a directory, and `/about` for `about.html` (Netlify's
 * pretty URLs). Paths are decoded once and must stay inside the directory: `..`, encoded slashes and
 * NUL bytes never reach the file system, and a symlink pointing outside is refused.
 *
 * Precedence (Netlify's, docs "Redirects and rewrites > Rule processing order" and "Functions >
 * config.path"): a static file shadows a redirect or rewrite unless the rule is `force`d, and a
 * function's `config.path` wins over a static file unless the function sets `preferStatic: true`.
 * `RouteTable.winsOverStatic` decides that; the server asks it only when a file exists.
 */
import { existsSync, realpathSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServerResponse } from 'node:http';

/** A file of the publish directory a request resolved to. */
export interface StaticFile {
  /** Absolute path on disk. */
  filePath: string;
  sizeBytes: number;
  contentType: string;
}

/**
 * Content types by extension: the ones a static site ships. Node has no MIME table of its own and the
 * project takes no dependency for a dozen lines; anything else is served as `application/octet-stream`.
 */
const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
};

/** The content type a file is served with. */
export function contentTypeFor(filePath: string): string {
  return contentTypes[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

function stat(filePath: string): Stats | undefined {
  return statSync(filePath, { throwIfNoEntry: false });
}

/** How many answers {@link StaticFiles} remembers before it starts again (a bound on memory, not a tuning knob). */
const MAX_CACHED_PATHS = 10_000;

/** Resolves request paths to files of one publish directory. */
export class StaticFiles {
  readonly rootDir: string;
  #realRoot: string;
  /**
   * Answers already looked up, by pathname, forgotten whenever anything under the directory changes.
   * Every function request asks first whether a file shadows it (`/api/hello-world` might be a file):
   * two `stat` calls each time were about 4% of the server's thread under load (cpu profile,
   * hello-world). Without a watcher (the directory does not exist) nothing is cached.
   */
  #cache = new Map<string, StaticFile | null>();
  #watcher: FSWatcher | undefined;

  constructor(rootDir: string) {
    this.rootDir = path.resolve(rootDir);
    try {
      this.#watcher = watch(this.rootDir, { recursive: true, persistent: false }, () => this.#cache.clear());
      this.#watcher.on('error', () => this.#stopCaching());
    } catch {
      this.#watcher = undefined;
    }
    // A publish directory that does not exist (yet: a build writes it) serves nothing until it does.
    this.#realRoot = existsSync(this.rootDir) ? realpathSync(this.rootDir) : this.rootDir;
  }

  /**
   * The file a pathname names, or undefined when there is none (or the path is not one a file may
   * have). Synchronous: a cached answer, or one or two `stat` calls, cheaper than a trip through the
   * thread pool on a path every function request takes. A file added or removed is seen as soon as
   * the directory watcher reports it (milliseconds).
   */
  resolve(pathname: string): StaticFile | undefined {
    if (!this.#watcher) return this.#lookup(pathname);
    const cached = this.#cache.get(pathname);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.#lookup(pathname);
    if (this.#cache.size >= MAX_CACHED_PATHS) this.#cache.clear();
    this.#cache.set(pathname, found ?? null);
    return found;
  }

  /** Stops watching the directory (the server is closing). */
  close(): void {
    this.#stopCaching();
  }

  #stopCaching(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#cache.clear();
  }

  #lookup(pathname: string): StaticFile | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    // An encoded slash or backslash would let one URL segment act as two on disk; NUL is never a file.
    if (decoded.includes('\0') || decoded.includes('\\') || /%2f/i.test(pathname)) return undefined;
    const segments = decoded.split('/');
    if (segments.some((segment) => segment === '..' || segment === '.')) return undefined;
    const candidate = path.join(this.rootDir, ...segments);
    if (candidate !== this.rootDir && !candidate.startsWith(this.rootDir + path.sep)) return undefined;
    const found = this.#find(candidate, decoded.endsWith('/'));
    if (!found) return undefined;
    // A symlink inside the site may point anywhere: serve it only if it resolves inside the site.
    const real = realpathSync(found.filePath);
    if (this.#realRoot === this.rootDir && existsSync(this.rootDir)) this.#realRoot = realpathSync(this.rootDir);
    if (real !== this.#realRoot && !real.startsWith(this.#realRoot + path.sep)) return undefined;
    return found;
  }

  #find(candidate: string, wantsDirectory: boolean): StaticFile | undefined {
    const stats = stat(candidate);
    if (stats?.isFile() && !wantsDirectory) return file(candidate, stats);
    if (stats?.isDirectory()) {
      const index = path.join(candidate, 'index.html');
      const indexStats = stat(index);
      return indexStats?.isFile() ? file(index, indexStats) : undefined;
    }
    // Netlify's pretty URLs: /about serves about.html.
    if (!stats && !wantsDirectory && candidate !== this.rootDir) {
      const html = `${candidate}.html`;
      const htmlStats = stat(html);
      if (htmlStats?.isFile()) return file(html, htmlStats);
    }
    return undefined;
  }
}

function file(filePath: string, stats: Stats): StaticFile {
  return { filePath, sizeBytes: stats.size, contentType: contentTypeFor(filePath) };
}

/** Sends a static file (GET or HEAD), or `status` other than 200 for a custom 404 page. */
export async function sendStaticFile(res: ServerResponse, file: StaticFile, isHead: boolean, status = 200): Promise<void> {
  const body = isHead ? null : await readFile(file.filePath);
  if (res.destroyed) return;
  res.writeHead(status, {
    'content-type': file.contentType,
    'content-length': body ? body.byteLength : file.sizeBytes,
    // netlify dev sends no caching headers for local files; a page edited on disk shows on reload.
    'cache-control': 'no-cache',
  });
  res.end(body);
}
