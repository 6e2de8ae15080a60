/**
 * The ceiling of the benchmark: a bare `node:http` server that answers the same JSON as the functions,
 * with no routing, bundling, containers or logging. Run as its own process: `PORT=8080 node bench/bare-server.ts`.
 */
import { createServer } from 'node:http';

// The same counter as functions/hello-world.ts, so the body has the same shape and size.
let abc = 0;

const server = createServer((request, response) => {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  let body: string;
  if (path.endsWith('/hello-world')) {
    abc += 1;
    body = JSON.stringify({ message: `Hello, abc is ${abc}` });
  } else if (path.endsWith('/collect')) {
    // collect's GET of an empty sink.
    body = JSON.stringify({ items: [] });
  } else {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route ${path}` } }));
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(body);
});

server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1');
process.once('SIGTERM', () => server.close());
