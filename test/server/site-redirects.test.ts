/** A site's redirects through the real server: `_redirects` and netlify.toml rules served, conditional ones left out and said. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestServer, tempDir } from './helpers.ts';

describe("a site's redirects", () => {
  it('serves 200 rewrites from _redirects and netlify.toml; a conditional rule is not served, and startup says why', async () => {
    const dir = await tempDir('redirect-site-');
    await mkdir(path.join(dir, 'netlify', 'functions'), { recursive: true });
    await mkdir(path.join(dir, 'public'));
    await writeFile(path.join(dir, 'netlify', 'functions', 'hello.mjs'), 'export default async () => new Response("hello");\n');
    await writeFile(path.join(dir, 'public', '_redirects'), '/from-file  /.netlify/functions/hello  200\n/french  /.netlify/functions/hello  200  Language=fr\n');
    await writeFile(
      path.join(dir, 'netlify.toml'),
      '[build]\npublish = "public"\n\n[[redirects]]\nfrom = "/from-toml"\nto = "/.netlify/functions/hello"\nstatus = 200\n',
    );
    const { url, log } = await startTestServer({ rootDir: dir });
    expect(await (await fetch(`${url}/from-file`)).text()).toBe('hello');
    expect(await (await fetch(`${url}/from-toml`)).text()).toBe('hello');
    // Production would answer only a French-speaking client; answering everyone would be wrong, so nobody is.
    expect((await fetch(`${url}/french`, { headers: { 'accept-language': 'fr' } })).status).toBe(404);
    expect(log.matching(/^WARN .*french/)).toEqual(['WARN not served: redirect /french -> /.netlify/functions/hello: conditions not evaluated locally']);
  });
});
