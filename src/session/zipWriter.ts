/**
 * A minimal streaming ZIP writer (deflate, UTF-8 names, no ZIP64): enough for exporting a session without a
 * new dependency. Each entry's local header is written first and its CRC and sizes patched in afterwards,
 * so entries stream from disk without being held in memory and without data descriptors.
 */
import { createDeflateRaw, crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
const VERSION = 20;
const MADE_BY_UNIX = 3 << 8;
const ZIP32_LIMIT = 0xffffffff;

interface CentralEntry {
  name: Buffer;
  crc: number;
  compressedSize: number;
  size: number;
  time: number;
  date: number;
  mode: number;
  offset: number;
}

export class ZipWriter {
  private position = 0;
  private readonly entries: CentralEntry[] = [];

  /** Writes into `handle` from position 0; the caller opens and closes it. */
  constructor(private readonly handle: FileHandle) {}

  async addEntry(name: string, content: Buffer | Readable, modified: Date = new Date(), mode = 0o644): Promise<void> {
    const nameBytes = Buffer.from(name, 'utf8');
    const { time, date } = dosDateTime(modified);
    const offset = this.position;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(LOCAL_HEADER, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(UTF8_NAMES, 6);
    header.writeUInt16LE(DEFLATE, 8);
    header.writeUInt16LE(time, 10);
    header.writeUInt16LE(date, 12);
    // crc (14), compressed size (18) and size (22) are patched below.
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(0, 28);
    await this.write(Buffer.concat([header, nameBytes]));

    let crc = 0;
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        crc = crc32(chunk, crc);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const dataStart = this.position;
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => { this.write(chunk).then(() => callback(), callback); },
    });
    const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
    await pipeline(source, measure, createDeflateRaw(), sink);
    const compressedSize = this.position - dataStart;
    if (size >= ZIP32_LIMIT || compressedSize >= ZIP32_LIMIT || offset >= ZIP32_LIMIT) {
      throw new Error(`Cannot put ${name} in a zip: it is 4 GiB or more, which needs ZIP64. Export the session as a folder instead.`);
    }
    const sizes = Buffer.alloc(12);
    sizes.writeUInt32LE(crc >>> 0, 0);
    sizes.writeUInt32LE(compressedSize, 4);
    sizes.writeUInt32LE(size, 8);
    await this.writeAt(sizes, offset + 14);
    this.entries.push({ name: nameBytes, crc: crc >>> 0, compressedSize, size, time, date, mode, offset });
  }

  /** Writes the central directory; the archive is complete after this. */
  async finish(): Promise<void> {
    if (this.entries.length > 0xffff) throw new Error('Cannot write the zip: more than 65535 files needs ZIP64. Export the session as a folder instead.');
    const start = this.position;
    for (const e of this.entries) {
      const header = Buffer.alloc(46);
      header.writeUInt32LE(CENTRAL_HEADER, 0);
      header.writeUInt16LE(MADE_BY_UNIX | VERSION, 4);
      header.writeUInt16LE(VERSION, 6);
      header.writeUInt16LE(UTF8_NAMES, 8);
      header.writeUInt16LE(DEFLATE, 10);
      header.writeUInt16LE(e.time, 12);
      header.writeUInt16LE(e.date, 14);
      header.writeUInt32LE(e.crc, 16);
      header.writeUInt32LE(e.compressedSize, 20);
      header.writeUInt32LE(e.size, 24);
      header.writeUInt16LE(e.name.length, 28);
      // extra (30), comment (32), disk (34), internal attributes (36): 0.
      header.writeUInt32LE(((0o100000 | e.mode) << 16) >>> 0, 38);
      header.writeUInt32LE(e.offset, 42);
      await this.write(Buffer.concat([header, e.name]));
    }
    const size = this.position - start;
    if (start >= ZIP32_LIMIT) throw new Error('Cannot write the zip: it is 4 GiB or more, which needs ZIP64. Export the session as a folder instead.');
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(size, 12);
    end.writeUInt32LE(start, 16);
    await this.write(end);
  }

  private async write(data: Buffer): Promise<void> {
    await this.writeAt(data, this.position);
    this.position += data.length;
  }

  private async writeAt(data: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  }
}

/** MS-DOS date and time in local time, as zip tools expect; clamped to the format's 1980–2107 range. */
function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}
