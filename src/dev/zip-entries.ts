/** One file in a zip archive. */
export interface ZipEntry {
  name: string;
  /** Uncompressed size. */
  bytes: number;
}

const END_OF_CENTRAL_DIRECTORY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;

/**
 * Lists a zip's entries from its central directory, so tooling can weigh Netlify's function zips
 * without an unzip binary. Plain zip only (no zip64), which is what zip-it-and-ship-it writes for
 * archives this small.
 */
export function listZipEntries(zip: Buffer): ZipEntry[] {
  const eocd = zip.lastIndexOf(END_OF_CENTRAL_DIRECTORY);
  if (eocd < 0) throw new Error('not a zip: no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_HEADER) throw new Error('corrupt zip central directory');
    const bytes = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({ name: zip.toString('utf8', offset + 46, offset + 46 + nameLength), bytes });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Files Netlify adds to every function zip (runtime bootstrap, telemetry, entry shim): not the function's own code. */
export const NETLIFY_PLATFORM_FILE = /^___netlify-/;

/** Uncompressed bytes of a function zip's own files (everything but {@link NETLIFY_PLATFORM_FILE}). */
export function ownBytes(entries: readonly ZipEntry[]): number {
  return entries.filter((e) => !NETLIFY_PLATFORM_FILE.test(e.name)).reduce((sum, e) => sum + e.bytes, 0);
}
