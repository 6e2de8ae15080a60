/**
 * The docs a newcomer follows must not send them anywhere that is not there: every relative link in
 * README.md and docs/ resolves (anchors included), every repository path they name in code exists, every
 * `docs/…md` a source comment cites exists, and README.md stays short enough to read in five minutes.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../server/helpers.ts';

const README_MAX_BYTES = 12 * 1024;

/** The Markdown files a reader is pointed at. */
function docFiles(): string[] {
  const docsDir = join(repoRoot, 'docs');
  const pages = readdirSync(docsDir)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(docsDir, name));
  return [join(repoRoot, 'README.md'), ...pages];
}

/** The file's lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(text: string): Array<{ line: string; number: number }> {
  const out: Array<{ line: string; number: number }> = [];
  let fence: string | null = null;
  text.split('\n').forEach((line, index) => {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker !== undefined) {
      if (fence === null) fence = marker[0] ?? null;
      else if (marker.startsWith(fence)) fence = null;
      return;
    }
    if (fence === null) out.push({ line, number: index + 1 });
  });
  return out;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Inline code spans stripped, so a link-looking text inside backticks is not taken for a link. */
function withoutCodeSpans(line: string): string {
  return line.replace(/`[^`]*`/g, '');
}

interface Problem {
  where: string;
  target: string;
  why: string;
}

function checkTarget(fromFile: string, target: string, where: string): Problem | null {
  const [pathPart = '', anchor] = target.split('#', 2);
  const file = pathPart === '' ? fromFile : resolve(dirname(fromFile), decodeURI(pathPart));
  if (!existsSync(file)) return { where, target, why: `${relative(repoRoot, file)} does not exist` };
  if (anchor === undefined || anchor === '') return null;
  if (!file.endsWith('.md')) return { where, target, why: 'an anchor into a file that is not Markdown' };
  const anchors = headingAnchors(readFileSync(file, 'utf8'));
  return anchors.has(anchor) ? null : { where, target, why: `no heading #${anchor} in ${relative(repoRoot, file)} (has ${[...anchors].join(', ')})` };
}

/** Repository paths as they are written in code spans: `src/server/main.ts`, `npx vitest run test/sim`. */
const REPO_PATH = /^(?:\.\/)?(?:src|functions|test|bench|scripts|docs|public|\.ci)\/[\w.@/-]*[\w/]$|^(?:package\.json|netlify\.toml|\.nvmrc|\.npmrc|tsconfig\.json|vitest\.config\.ts)$/;
/** Written by tools and git-ignored, so absent from a fresh clone by design. */
const GENERATED = /^bench\/results\//;

function referencedPaths(line: string): string[] {
  const paths: string[] = [];
  for (const span of line.matchAll(/`([^`]+)`/g)) {
    for (const raw of (span[1] ?? '').split(/\s+/)) {
      const token = raw.replace(/^['"(]+|[)'",;:]+$/g, '');
      if (REPO_PATH.test(token) && !GENERATED.test(token)) paths.push(token.replace(/^\.\//, ''));
    }
  }
  return paths;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|cjs|js)$/.test(name) ? [path] : [];
  });
}

describe('the docs', () => {
  it('README.md stays under 12 KB', () => {
    expect(statSync(join(repoRoot, 'README.md')).size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('every relative link in README.md and docs/ resolves, anchors included', () => {
    const problems: Problem[] = [];
    let links = 0;
    for (const file of docFiles()) {
      for (const { line, number } of proseLines(readFileSync(file, 'utf8'))) {
        for (const match of withoutCodeSpans(line).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          const target = match[1] ?? '';
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
          links += 1;
          const problem = checkTarget(file, target, `${relative(repoRoot, file)}:${number}`);
          if (problem) problems.push(problem);
        }
      }
    }
    expect(links).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });

  it('every repository path README.md and docs/ name in code exists', () => {
    const problems: Problem[] = [];
    let paths = 0;
    for (const file of docFiles()) {
      for (const { line, number } of proseLines(readFileSync(file, 'utf8'))) {
        for (const path of referencedPaths(line)) {
          paths += 1;
          if (!existsSync(join(repoRoot, path))) problems.push({ where: `${relative(repoRoot, file)}:${number}`, target: path, why: 'no such file or directory' });
        }
      }
    }
    expect(paths).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });

  it('every docs page a source comment cites exists, with the section it names', () => {
    const problems: Problem[] = [];
    let citations = 0;
    for (const dir of ['src', 'functions', 'test', 'bench', 'scripts']) {
      for (const file of sourceFiles(join(repoRoot, dir))) {
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, index) => {
            for (const match of line.matchAll(/\bdocs\/[\w-]+\.md(?:#[\w-]+)?/g)) {
              citations += 1;
              const problem = checkTarget(join(repoRoot, 'README.md'), match[0], `${relative(repoRoot, file)}:${index + 1}`);
              if (problem) problems.push(problem);
            }
          });
      }
    }
    expect(citations).toBeGreaterThan(5);
    expect(problems).toEqual([]);
  });

  it('no source comment cites a DESIGN.md, which is not in the repository', () => {
    const citing = ['src', 'functions', 'test', 'bench', 'scripts']
      .flatMap((dir) => sourceFiles(join(repoRoot, dir)))
      .filter((file) => !file.endsWith('docs.test.ts') && readFileSync(file, 'utf8').includes('DESIGN.md'))
      .map((file) => relative(repoRoot, file));
    expect(citing).toEqual([]);
  });

  it('computes anchors the way GitHub does', () => {
    const anchors = headingAnchors('# The local server (`npm start`)\n## netlify-cli, measured\n## Node.js and the toolchain\n```\n# not a heading\n```\n## Figures\n## Figures\n');
    expect([...anchors]).toEqual(['the-local-server-npm-start', 'netlify-cli-measured', 'nodejs-and-the-toolchain', 'figures', 'figures-1']);
  });
});
