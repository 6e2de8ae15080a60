import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { listZipEntries, ownBytes } from '../../src/dev/zip-entries.ts';

/** Writes a minimal zip (stored, no compression) by the PKWARE layout, independent of the reader. */
function storedZip(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

describe('listZipEntries', () => {
  it('lists names and uncompressed sizes; ownBytes leaves out the files Netlify adds', () => {
    const zip = storedZip({
      'functions/send-data.js': 'x'.repeat(1000),
      '___netlify-telemetry.mjs': 'y'.repeat(5000),
      'node_modules/undici/index.js': 'z'.repeat(250),
    });
    const entries = listZipEntries(zip);
    expect(entries).toEqual([
      { name: 'functions/send-data.js', bytes: 1000 },
      { name: '___netlify-telemetry.mjs', bytes: 5000 },
      { name: 'node_modules/undici/index.js', bytes: 250 },
    ]);
    expect(ownBytes(entries)).toBe(1250);
  });

  it('refuses something that is not a zip', () => {
    expect(() => listZipEntries(Buffer.from('hello'))).toThrow('not a zip');
  });
});
