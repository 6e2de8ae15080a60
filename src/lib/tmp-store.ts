import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Why a stored file could not be used. */
export type StoreProblem = 'corrupt' | 'unreadable';

/** The result of {@link AtomicJsonFile.read}. */
export type ReadResult<T> =
  | { status: 'ok'; value: T }
  | { status: 'missing' }
  | { status: StoreProblem; message: string };

/**
 * A JSON document in one file, written atomically: the new content goes to a temp file in the same
 * directory, which is then renamed over the target. rename(2) within a directory is atomic, so a
 * reader (or a container killed mid-write, whose /tmp survives, docs/platform-facts.md#lambda-execution-environment) sees the old document
 * or the new one, never half of one.
 */
export class AtomicJsonFile<T> {
  readonly #path: string;
  readonly #isValid: (value: unknown) => value is T;

  /** @param isValid decides whether parsed JSON has the expected shape; anything else reads as `corrupt`. */
  constructor(path: string, isValid: (value: unknown) => value is T) {
    this.#path = path;
    this.#isValid = isValid;
  }

  /** The file's path. */
  get path(): string {
    return this.#path;
  }

  /** Reads and validates the document. Never throws: problems come back as `corrupt` or `unreadable`. */
  async read(): Promise<ReadResult<T>> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { status: 'missing' };
      return { status: 'unreadable', message: `${errnoCode(error) ?? 'error'} reading ${this.#path}` };
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { status: 'corrupt', message: `${this.#path} is not valid JSON` };
    }
    if (!this.#isValid(value)) return { status: 'corrupt', message: `${this.#path} does not hold the expected shape` };
    return { status: 'ok', value };
  }

  /** Replaces the document atomically. Whatever is in the way (even a directory) is replaced. */
  async write(value: T): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true });
    const tempPath = `${this.#path}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(tempPath, JSON.stringify(value));
    try {
      await rename(tempPath, this.#path);
    } catch (error) {
      const code = errnoCode(error);
      if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') {
        await rm(tempPath, { force: true });
        throw error;
      }
      // The target is a directory (an "unreadable" file): clear it, then retry the rename once.
      await rm(this.#path, { recursive: true, force: true });
      await rename(tempPath, this.#path);
    }
  }
}

function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
