import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeployContext } from '../../src/site/deploy-context.ts';
import { resolveSite } from '../../src/site/site.ts';
import { tempDir } from '../server/helpers.ts';

async function siteWith(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('site-resolve-');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

describe('resolveSite: functions and publish directories', () => {
  it('uses Netlify\'s default netlify/functions when netlify.toml names none, or there is no netlify.toml', async () => {
    const dir = await siteWith({});
    const site = await resolveSite(dir);
    expect(site.functionsDir).toBe(path.join(dir, 'netlify', 'functions'));
    expect(site.functionsDirSource).toBe('default');
    expect(site.publishDir).toBeUndefined();
    expect(site.redirects).toEqual([]);
    expect(site.blobsDir).toBe(path.join(dir, '.netlify', 'blobs-serve'));
  });

  it('takes [build] functions, and [functions] directory over it', async () => {
    const build = await resolveSite(await siteWith({ 'netlify.toml': '[build]\nfunctions = "lambda"\npublish = "dist"\n' }));
    expect(build.functionsDir).toBe(path.join(build.root, 'lambda'));
    expect(build.functionsDirSource).toBe('[build] functions');
    expect(build.publishDir).toBe(path.join(build.root, 'dist'));
    const both = await resolveSite(await siteWith({ 'netlify.toml': '[build]\nfunctions = "lambda"\n[functions]\ndirectory = "fns"\n' }));
    expect(both.functionsDir).toBe(path.join(both.root, 'fns'));
    expect(both.functionsDirSource).toBe('[functions] directory');
  });

  it('this project: functions/, public/, the /api/* rewrite', async () => {
    const site = await resolveSite(path.resolve(import.meta.dirname, '../..'));
    expect(path.relative(site.root, site.functionsDir)).toBe('functions');
    expect(path.relative(site.root, site.publishDir ?? '')).toBe('public');
    expect(site.redirects).toEqual([{ from: '/api/*', to: '/.netlify/functions/:splat', status: 200 }]);
  });

  it('a missing directory is SITE_NOT_FOUND; a file is not a site either', async () => {
    const dir = await siteWith({ 'file.txt': 'x' });
    await expect(resolveSite(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'SITE_NOT_FOUND' });
    await expect(resolveSite(path.join(dir, 'file.txt'))).rejects.toMatchObject({ code: 'SITE_NOT_FOUND' });
  });
});

describe('resolveSite: netlify.toml', () => {
  it('reads every redirect field: force, query, conditions (a single value becomes a list), headers, signed; status defaults to 301', async () => {
    const site = await resolveSite(
      await siteWith({
        'netlify.toml': `
[[redirects]]
from = "/old"
to = "/new"

[[redirects]]
from = "/api/*"
to = "/.netlify/functions/:splat"
status = 200
force = true
query = { id = ":id" }
conditions = { Language = ["en", "de"], Country = "US" }
headers = { X-From = "netlify" }
signed = "API_SECRET"
`,
      }),
    );
    expect(site.redirects).toEqual([
      { from: '/old', to: '/new', status: 301 },
      {
        from: '/api/*',
        to: '/.netlify/functions/:splat',
        status: 200,
        force: true,
        query: { id: ':id' },
        conditions: { Language: ['en', 'de'], Country: ['US'] },
        headers: { 'X-From': 'netlify' },
        signed: 'API_SECRET',
      },
    ]);
  });

  it("reads the publish directory's _redirects first, then netlify.toml's, as Netlify orders them", async () => {
    const site = await resolveSite(
      await siteWith({
        'netlify.toml': '[build]\npublish = "dist"\n\n[[redirects]]\nfrom = "/toml"\nto = "/t"\n',
        'dist/_redirects': [
          '# comments and blank lines are skipped',
          '',
          '/api/*   /.netlify/functions/:splat   200',
          '/old     /new',
          '/forced  /elsewhere  302!',
          '/store   id=:id  /blog/:id  301',
          '/fr/*    /.netlify/functions/fr  200  Country=fr,be  Language=fr  # trailing comment',
        ].join('\n'),
      }),
    );
    expect(site.redirects).toEqual([
      { from: '/api/*', to: '/.netlify/functions/:splat', status: 200 },
      { from: '/old', to: '/new', status: 301 },
      { from: '/forced', to: '/elsewhere', status: 302, force: true },
      { from: '/store', to: '/blog/:id', status: 301, query: { id: ':id' } },
      { from: '/fr/*', to: '/.netlify/functions/fr', status: 200, conditions: { Country: ['fr', 'be'], Language: ['fr'] } },
      { from: '/toml', to: '/t', status: 301 },
    ]);
    expect(site.configFiles).toContain(path.join(site.root, 'dist', '_redirects'));
    await expect(resolveSite(await siteWith({ 'netlify.toml': '[build]\npublish = "."\n', _redirects: '/a /b 200 oops\n' }))).rejects.toThrow(/_redirects:1: cannot read "oops"/);
  });

  it('hands [functions] settings on as "*" and [functions."name"] ones by name, ignoring `directory`', async () => {
    const site = await resolveSite(
      await siteWith({
        'netlify.toml': `
[functions]
directory = "fns"
node_bundler = "esbuild"
external_node_modules = ["sharp"]
included_files = "data/**"

[functions."report"]
schedule = "@daily"
included_files = ["templates/*.html"]

[functions."api-*"]
external_node_modules = ["pg"]
ignored_node_modules = ["aws-sdk"]
`,
      }),
    );
    expect(site.functionSettings).toEqual({
      '*': { nodeBundler: 'esbuild', externalNodeModules: ['sharp'], includedFiles: ['data/**'] },
      report: { schedule: '@daily', includedFiles: ['templates/*.html'] },
      'api-*': { externalNodeModules: ['pg'] },
    });
    expect(site.notes).toEqual(['[functions."api-*"] ignored_node_modules: not applied locally']);
  });

  it('a TOML syntax error is one line with file, line and column', async () => {
    const dir = await siteWith({ 'netlify.toml': '[build]\npublish = "dist\n' });
    const error = await resolveSite(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as Error).message).toMatch(new RegExp(`^${path.join(dir, 'netlify.toml').replaceAll('/', '\\/')}:2:\\d+: `));
    expect((error as Error).message).not.toContain('\n');
  });

  it('a value of the wrong type names its key', async () => {
    await expect(resolveSite(await siteWith({ 'netlify.toml': '[functions]\ndirectory = 3\n' }))).rejects.toThrow('netlify.toml: functions.directory must be a string');
    await expect(resolveSite(await siteWith({ 'netlify.toml': '[[redirects]]\nfrom = "/a"\n' }))).rejects.toThrow('netlify.toml: redirects[0].to must be set');
    await expect(resolveSite(await siteWith({ 'netlify.toml': '[[redirects]]\nfrom = "/a"\nto = "/b"\nstatus = "200"\n' }))).rejects.toThrow(
      'netlify.toml: redirects[0].status must be an HTTP status code',
    );
  });
});

describe('resolveSite: environment', () => {
  const toml = `
[build.environment]
SHARED = "build"
ONLY_BUILD = "b"
PORT_NUMBER = 3000

[context.production.environment]
SHARED = "production"

[context.dev.environment]
SHARED = "dev"

[context.deploy-preview.environment]
SHARED = "preview"

[context.branch-deploy.environment]
SHARED = "branch-deploy"

[context.feature-x.environment]
SHARED = "feature-x"
`;

  it('netlify.toml: [build.environment] under [context.<ctx>.environment], dev by default as netlify dev; numbers become strings', async () => {
    const dir = await siteWith({ 'netlify.toml': toml });
    expect((await resolveSite(dir)).env.toml).toEqual({ SHARED: 'dev', ONLY_BUILD: 'b', PORT_NUMBER: '3000' });
    expect((await resolveSite(dir, { context: 'production' })).env.toml.SHARED).toBe('production');
    expect((await resolveSite(dir, { context: 'deploy-preview' })).env.toml.SHARED).toBe('preview');
    expect((await resolveSite(dir, { context: 'branch-deploy' })).env.toml.SHARED).toBe('branch-deploy');
    expect((await resolveSite(dir, { context: parseDeployContext('branch:feature-x') })).env.toml.SHARED).toBe('feature-x');
    expect((await resolveSite(dir, { context: parseDeployContext('branch:other') })).env.toml.SHARED).toBe('branch-deploy');
  });

  it('functions get the .env files, not netlify.toml (production), unless tomlEnv asks for netlify dev\'s way', async () => {
    const dir = await siteWith({ 'netlify.toml': toml, '.env': 'SECRET=from-env\nSHARED=from-dotenv\n' });
    const production = await resolveSite(dir);
    expect(production.env.functions).toEqual({ SECRET: 'from-env', SHARED: 'from-dotenv' });
    const netlifyDev = await resolveSite(dir, { tomlEnv: true });
    // As netlify dev: a .env value wins over netlify.toml's.
    expect(netlifyDev.env.functions).toEqual({ SHARED: 'from-dotenv', ONLY_BUILD: 'b', PORT_NUMBER: '3000', SECRET: 'from-env' });
    expect(netlifyDev.env.sources).toMatchObject({ SHARED: '.env', ONLY_BUILD: 'netlify.toml' });
  });

  it('.env precedence is netlify-cli\'s: .env.development.local > .env.local > .env.development > .env', async () => {
    const dir = await siteWith({
      '.env': 'A=env\nB=env\nC=env\nD=env\n# a comment\nQUOTED="two words"\n',
      '.env.development': 'A=development\nB=development\nC=development\n',
      '.env.local': 'A=local\nB=local\n',
      '.env.development.local': 'A=development.local\n',
    });
    const site = await resolveSite(dir);
    expect(site.env.functions).toEqual({ A: 'development.local', B: 'local', C: 'development', D: 'env', QUOTED: 'two words' });
    expect(site.env.sources).toEqual({ A: '.env.development.local', B: '.env.local', C: '.env.development', D: '.env', QUOTED: '.env' });
    expect(site.env.filesRead.map((file) => path.basename(file))).toEqual(['.env', '.env.development', '.env.local', '.env.development.local']);
  });

  it("takes the site id from .netlify/state.json when the site is linked, else netlify dev's `unlinked`", async () => {
    const linked = await resolveSite(await siteWith({ '.netlify/state.json': '{"siteId":"1d01c0c0-4554-4747-93b8-34ce3448ab95"}' }));
    expect(linked.identity).toMatchObject({ id: '1d01c0c0-4554-4747-93b8-34ce3448ab95', idSource: 'state.json' });
    const unlinked = await resolveSite(await siteWith({ '.netlify/state.json': 'not json' }));
    expect(unlinked.identity).toMatchObject({ id: 'unlinked', idSource: 'unlinked' });
    expect(unlinked.identity.name).toMatch(/^site-resolve-[a-z0-9-]+$/);
  });
});
