/**
 * The package from outside, as a user gets it: `npm pack` in this checkout, the tarball installed into a
 * fresh site (no "type": "module", a CommonJS v1 function and a v2 one, plus the functions of
 * docs/testing.md), then the `stateful-serverless` command serving it and vitest running a test that
 * imports `stateful-serverless/testing` there. The test file is docs/testing.md's first ts block, as is.
 *
 * npm installs from its local cache when it can (--prefer-offline), so this takes seconds, not minutes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** npm and npx run on the Node running this test (system Node may be older), without npm's per-script variables. */
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && key !== 'NODE_OPTIONS')),
  PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
  // Plain text to match on: the outer vitest forces colours for its children.
  FORCE_COLOR: '0',
  NO_COLOR: '1',
};

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], cwd: string): Promise<Ran> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { cwd, env, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? String(error) };
  }
}

/** A markdown page's fenced code blocks, in order. */
function codeBlocks(markdown: string): Array<{ lang: string; code: string }> {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? '', code: m[2] ?? '' }));
}

/** The path a block names in its first line (`// netlify/functions/x.mts`), if any. */
function namedPath(code: string): string | undefined {
  return /^\/\/ ([\w./-]+\.m?[jt]s)\n/.exec(code)?.[1];
}

const V1_COMMONJS = `// A CommonJS v1 function: this site has no "type": "module".
let count = 0;
exports.handler = async (event) => {
  count += 1;
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api: 'v1', count, path: event.path }) };
};
`;

const V2 = `export default async (request: Request): Promise<Response> => Response.json({ api: 'v2', url: new URL(request.url).pathname });
`;

const HARNESS_TEST = `import { expect, test } from 'vitest';
import { Simulator } from 'stateful-serverless';
import { json, startSim } from 'stateful-serverless/testing';

test('both functions, through the harness: v1 CommonJS warm on its second call, v2 by path', async () => {
  const sim = startSim();
  const first = await sim.call('legacy');
  const second = await sim.call('legacy');
  expect(json(second)).toMatchObject({ api: 'v1', count: 2 });
  expect(second).toBeWarmIn(first);
  const v2 = await sim.call('/.netlify/functions/hello');
  expect(json(v2)).toEqual({ api: 'v2', url: '/.netlify/functions/hello' });
  expect(v2).toBeColdStart();
  expect(sim.sim).toBeInstanceOf(Simulator);
});
`;

interface Served {
  child: ChildProcess;
  url: Promise<string>;
  output: () => string;
  exited: Promise<number | null>;
}

function serve(site: string, args: string[]): Served {
  const child = spawn(path.join(site, 'node_modules', '.bin', 'stateful-serverless'), args, { cwd: site, env, stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let text = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: string): void => {
      text += chunk;
      const found = /(http:\/\/[\d.]+:\d+)/.exec(text);
      if (found?.[1]) resolve(found[1]);
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    void exited.then((code) => reject(new Error(`exited ${code} before serving:\n${text}`)));
  });
  return { child, url, output: () => text, exited };
}

describe('the packed tarball, installed into a fresh site', () => {
  let site: string;
  let tarballFiles: string[];
  let docTest: string;
  let installMs: number;

  beforeAll(async () => {
    site = await mkdtemp(path.join(tmpdir(), 'fresh-site-'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', site], ROOT);
    if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    if (!info) throw new Error('npm pack reported no tarball');
    tarballFiles = info.files.map((file) => file.path);

    await writeFile(path.join(site, 'package.json'), `${JSON.stringify({ name: 'fresh-site', version: '1.0.0', private: true }, null, 2)}\n`);
    await mkdir(path.join(site, 'netlify', 'functions'), { recursive: true });
    await mkdir(path.join(site, 'test'), { recursive: true });
    await writeFile(path.join(site, 'netlify', 'functions', 'legacy.js'), V1_COMMONJS);
    await writeFile(path.join(site, 'netlify', 'functions', 'hello.mts'), V2);
    await writeFile(path.join(site, 'test', 'harness.test.ts'), HARNESS_TEST);
    // docs/testing.md: its first ts block is the test file; the blocks that name a netlify/functions/ file are the functions.
    const blocks = codeBlocks(await readFile(path.join(ROOT, 'docs', 'testing.md'), 'utf8')).filter((block) => block.lang === 'ts');
    docTest = blocks[0]?.code ?? '';
    for (const { code } of blocks.slice(1)) {
      const file = namedPath(code);
      if (file?.startsWith('netlify/functions/')) await writeFile(path.join(site, file), code);
    }
    await writeFile(path.join(site, namedPath(docTest) ?? 'test/docs.test.ts'), docTest);

    const vitestVersion = (JSON.parse(await readFile(path.join(ROOT, 'node_modules', 'vitest', 'package.json'), 'utf8')) as { version: string }).version;
    const startedMs = performance.now();
    const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--save-dev', `./${info.filename}`, `vitest@${vitestVersion}`], site);
    installMs = performance.now() - startedMs;
    if (installed.code !== 0) throw new Error(`npm install failed:\n${installed.stderr}`);
    return async () => {
      await rm(site, { recursive: true, force: true });
    };
  }, 240_000);

  it('the tarball holds compiled JS with types, and no sources, tests or project files', () => {
    expect(tarballFiles).toEqual(
      expect.arrayContaining(['package.json', 'dist/sim/index.js', 'dist/sim/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts', 'dist/cli/main.js', 'docs/testing.md']),
    );
    const unexpected = tarballFiles.filter((file) => !/^(dist\/.*\.(js|d\.ts)|dist\/server\/timeline\/(index\.html|timeline\.css)|package\.json|README\.md|docs\/[\w-]+\.md)$/.test(file));
    expect(unexpected).toEqual([]);
  });

  it('installs what a consumer runs and none of the project tooling', async () => {
    const present = async (name: string): Promise<boolean> =>
      readFile(path.join(site, 'node_modules', name, 'package.json')).then(
        () => true,
        () => false,
      );
    for (const name of ['esbuild', 'undici', '@netlify/blobs', 'smol-toml', 'chokidar', 'cjs-module-lexer']) expect(await present(name), name).toBe(true);
    for (const name of ['netlify-cli', 'autocannon', 'typescript', 'deno', 'playwright-core', '@netlify/functions']) expect(await present(name), name).toBe(false);
  });

  it('stateful-serverless serve --site . (the installed bin) serves the CommonJS v1 and the v2 function, and SIGTERM stops it with exit code 0', async () => {
    const served = serve(site, ['serve', '--site', '.', '--port', '0', '--host', '127.0.0.1']);
    const url = await served.url;
    const v1 = await fetch(`${url}/.netlify/functions/legacy`);
    expect(await v1.json()).toEqual({ api: 'v1', count: 1, path: '/.netlify/functions/legacy' });
    const v2 = await fetch(`${url}/.netlify/functions/hello`);
    expect(await v2.json()).toEqual({ api: 'v2', url: '/.netlify/functions/hello' });
    // The timeline page and its script ship with the package (they are not TypeScript).
    const page = await fetch(`${url}/__sim/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/html')]);
    const script = await fetch(`${url}/__sim/timeline.js`);
    expect(script.status).toBe(200);
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('npx stateful-serverless --version and --help answer and exit 0; a bad argument exits 2', async () => {
    const bin = path.join(site, 'node_modules', '.bin', 'stateful-serverless');
    const version = await run('npx', ['stateful-serverless', '--version'], site);
    const { version: expected } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(new RegExp(`(^| )${expected.replaceAll('.', '\\.')}$`));
    const help = await run(bin, ['--help'], site);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('serve');
    const bad = await run(bin, ['serve', '--no-such-flag'], site);
    expect(bad.code).toBe(2);
  });

  it('vitest runs, in the site, the harness test and docs/testing.md’s first ts block as it is; types check against the package', async () => {
    expect(namedPath(docTest)).toBe('test/functions.test.ts');
    const startedMs = performance.now();
    const tested = await run('npx', ['vitest', 'run'], site);
    const testMs = performance.now() - startedMs;
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/Test Files\s+2 passed/);
    console.info(`fresh site: npm install of the tarball ${(installMs / 1000).toFixed(1)} s, vitest run ${(testMs / 1000).toFixed(1)} s`);

    // The page's test file and functions typecheck against the installed package's .d.ts (matchers included).
    await writeFile(
      path.join(site, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2023',
          lib: ['es2023', 'dom'],
          module: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        },
        include: ['test', 'netlify/functions/*.mts'],
      }),
    );
    const typed = await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript-native', 'bin', 'tsc'), '-p', site], site);
    expect(typed.stdout + typed.stderr).toBe('');
  });

  it('with `.fails` removed, the page’s bug test fails and says what happened in container terms', async () => {
    const bug = docTest.replace('test.fails(', 'test(');
    expect(bug).not.toBe(docTest);
    await writeFile(path.join(site, 'test', 'bug.test.ts'), bug);
    const tested = await run('npx', ['vitest', 'run', 'test/bug.test.ts', '-t', 'send-data delivers its POST'], site);
    expect(tested.code).toBe(1);
    expect(tested.stdout + tested.stderr).toMatch(
      /expected container send-data-\d+ to freeze with no work in flight after send-data answered, but it froze with this still running: an HTTP request POST http:\/\/127\.0\.0\.1:\d+\//,
    );
  });
});
