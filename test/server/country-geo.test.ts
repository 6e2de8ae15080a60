/** `--country` through the real server: the location every request comes from, unless the request says otherwise. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countryGeo } from '../../src/server/country-geo.ts';
import { startTestServer, tempDir } from './helpers.ts';

async function geoSite(): Promise<string> {
  const dir = await tempDir('geo-site-');
  await mkdir(path.join(dir, 'netlify', 'functions'), { recursive: true });
  await writeFile(path.join(dir, 'netlify', 'functions', 'where.mjs'), 'export default async (req, context) => Response.json(context.geo);\n');
  await writeFile(
    path.join(dir, 'netlify', 'functions', 'where-v1.mjs'),
    "export const handler = async (event) => ({ statusCode: 200, body: Buffer.from(event.headers['x-nf-geo'], 'base64').toString() });\n",
  );
  return dir;
}

describe('--country', () => {
  it("gives v2 context.geo and v1's x-nf-geo header netlify dev's mock location for that country", async () => {
    const { url } = await startTestServer({ rootDir: await geoSite(), geo: countryGeo('DE') });
    const expected = { city: 'Mock City', country: { code: 'DE', name: 'Mock Country' }, subdivision: { code: 'SD', name: 'Mock Subdivision' }, longitude: 0, latitude: 0, timezone: 'UTC' };
    expect(await (await fetch(`${url}/.netlify/functions/where`)).json()).toEqual(expected);
    expect(await (await fetch(`${url}/.netlify/functions/where-v1`)).json()).toEqual(expected);
  });

  it("a request's own x-nf-geo header still wins", async () => {
    const { url } = await startTestServer({ rootDir: await geoSite(), geo: countryGeo('DE') });
    const tokyo = { city: 'Tokyo', country: { code: 'JP', name: 'Japan' } };
    const res = await fetch(`${url}/.netlify/functions/where`, { headers: { 'x-nf-geo': Buffer.from(JSON.stringify(tokyo)).toString('base64') } });
    expect(await res.json()).toEqual(tokyo);
  });

  it("without it, netlify dev's default location (San Francisco)", async () => {
    const { url } = await startTestServer({ rootDir: await geoSite() });
    expect(((await (await fetch(`${url}/.netlify/functions/where`)).json()) as { city: string }).city).toBe('San Francisco');
  });
});
