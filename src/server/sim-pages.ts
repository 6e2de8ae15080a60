/**
 * The simulator's own pages under `/__sim/` (besides `/__sim/containers`, which the server answers):
 * the timeline page and its two assets, and the event stream it draws from. The assets live next to
 * this file in `timeline/` and are read from disk on each request, so the page works offline and an
 * edit shows on reload. Documented in docs/timeline.md.
 */
import { statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventStream } from './event-stream.ts';
import { sendError } from './response.ts';
import { contentTypeFor, sendStaticFile } from './static-files.ts';

/** Where the simulator's pages live; underscored so they cannot clash with a site's paths. */
export const simPrefix = '/__sim/';
export const eventsPath = '/__sim/events';
export const timelinePath = '/__sim/';

const assetsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'timeline');

/** Request path to asset file name. */
const assets: Record<string, string> = {
  '/__sim/': 'index.html',
  '/__sim/timeline.js': 'timeline.js',
  '/__sim/timeline.css': 'timeline.css',
};

/** Whether `pathname` is one of the pages this module answers. */
export function isSimPage(pathname: string): boolean {
  return pathname === '/__sim' || pathname === eventsPath || pathname in assets;
}

/** Answers a request for one of the pages {@link isSimPage} accepts. */
export async function serveSimPage(req: IncomingMessage, res: ServerResponse, pathname: string, events: EventStream): Promise<void> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendError(res, 'METHOD_NOT_ALLOWED', `${pathname} answers GET only`);
    return;
  }
  if (pathname === '/__sim') {
    res.writeHead(308, { location: timelinePath, 'content-length': 0 });
    res.end();
    return;
  }
  if (pathname === eventsPath) {
    if (method === 'HEAD') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      res.end();
      return;
    }
    events.serve(req, res);
    return;
  }
  const name = assets[pathname];
  if (name === undefined) return;
  const filePath = path.join(assetsDir, name);
  const stats = statSync(filePath);
  await sendStaticFile(res, { filePath, sizeBytes: stats.size, contentType: contentTypeFor(filePath) }, method === 'HEAD');
}
