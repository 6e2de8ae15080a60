/**
 * `included_files` / `includedFiles`: extra files shipped in a function's zip.
 *
 * Netlify (`@netlify/zip-it-and-ship-it`) resolves the globs from the site's base directory (from the
 * function's own directory for in-source `includedFiles`, `augmentFunctionConfig`), `!pattern` excludes,
 * and writes every file into the zip at its path relative to the base directory, the same place the
 * function's own file goes (`src/runtimes/node/utils/zip.ts`, `normalizeFilePath`). So a function that
 * reads `path.join(__dirname, '../../data/x.json')` finds the file in production only when it is
 * included. The simulator mirrors that layout in a per-bundle directory (see bundler.ts), copying only the
 * included files, so a file that was not included is missing locally too.
 */
import { createHash } from 'node:crypto';
import { glob, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** One included file: where it is, and where it goes relative to the deploy root. */
export interface IncludedFile {
  sourcePath: string;
  /** Relative to the deploy root (the site's base directory), with forward slashes. */
  relativePath: string;
}

/** The files `patterns` select under `patternBase`, placed relative to `baseDir`. Files outside `baseDir` are skipped. */
export async function collectIncludedFiles(patterns: readonly string[], patternBase: string, baseDir: string): Promise<{ files: IncludedFile[]; skipped: string[] }> {
  const include = patterns.filter((pattern) => !pattern.startsWith('!'));
  const exclude = patterns.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  const files = new Map<string, IncludedFile>();
  const skipped: string[] = [];
  for (const pattern of include) {
    for await (const match of glob(pattern, { cwd: patternBase, exclude })) {
      const sourcePath = path.resolve(patternBase, match);
      const info = await stat(sourcePath).catch(() => undefined);
      if (!info) continue;
      if (info.isDirectory()) {
        // A bare directory name includes what is under it, as the platform's globbing does for `dir/**`.
        for await (const inner of glob('**', { cwd: sourcePath })) {
          const innerPath = path.join(sourcePath, inner);
          if ((await stat(innerPath)).isFile()) add(innerPath);
        }
      } else if (info.isFile()) {
        add(sourcePath);
      }
    }
  }
  function add(sourcePath: string): void {
    const relative = path.relative(baseDir, sourcePath);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      skipped.push(sourcePath);
      return;
    }
    files.set(sourcePath, { sourcePath, relativePath: relative.split(path.sep).join('/') });
  }
  return { files: [...files.values()].sort((a, b) => a.relativePath.localeCompare(b.relativePath)), skipped };
}

/** A digest of the files' names and contents, so editing an included file makes a new bundle version. */
export async function includedFilesDigest(files: readonly IncludedFile[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file.relativePath).update('\0').update(await readFile(file.sourcePath)).update('\0');
  }
  return hash.digest('hex');
}
