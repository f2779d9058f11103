/**
 * Node only: the one way monc writes files (CLI outputs, bundler declarations, the tuning
 * database). All of a call's files are written or none is:
 *
 * 1. every path is checked first: a directory, FIFO, device or socket is refused (never
 *    replaced: `--out /dev/null` does not turn the device into a regular file), a symbolic link
 *    is written through (its target is replaced, the link stays), a file the command reads
 *    (`inputs`) is refused, a name over 255 bytes is refused, two paths of one file are refused
 *    (as the file system compares names: `Ffn.ts` and `ffn.ts` on macOS, same-target.ts);
 * 2. missing parent directories are created one level at a time (a bounded walk: a path under
 *    /proc or under a regular file fails with one line instead of looping);
 * 3. each file goes to a short temporary name in its own directory, with the mode of the file it
 *    replaces;
 * 4. the temporaries are renamed over their targets; if one rename fails, the targets renamed
 *    before it get their old contents back (kept as hard links) or are removed.
 *
 * Cleanup failures are swallowed so that they never hide the error that caused them. Every
 * failure is a FileError with a one-line reason.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, closeSync, constants, linkSync, lstatSync, mkdirSync, openSync, readlinkSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FileError, ioReason } from './file-error.js';
import { specialKind, withRegularFile } from './read-bounded.js';
import { sameTarget } from './same-target.js';

/** A file read in part before (a header), as it was then: `version` is its OpenFile.version at that read. */
export interface SourceFile {
  readonly path: string;
  /** What the file is, for messages: `safetensors file`. */
  readonly what: string;
  /** The path as the user wrote it, for messages. */
  readonly shownAs: string;
  readonly version: string;
}

/**
 * Bytes `offset` to `offset + length` of a source file, copied into an output while it is written, through a buffer of
 * COPY_CHUNK bytes: a range of any size, never held in memory whole (monc train in place keeps a state dict's other
 * tensors so). A source changed since its version was taken is refused: the ranges were chosen from what it held then.
 */
export interface FileRange {
  readonly source: SourceFile;
  readonly offset: number;
  readonly length: number;
}

/** What an output holds: text, bytes, or pieces (bytes or ranges of a file) written one after the other. */
export type OutputData = Uint8Array | string | readonly (Uint8Array | FileRange)[];

export interface OutputFile {
  readonly path: string;
  readonly data: OutputData;
  /** The path as the user wrote it, for messages (default: `path`). */
  readonly shownAs?: string;
}

export interface WriteOptions {
  /** Files the command reads: writing over one of them is refused (`init s.mon --out s.mon`). */
  readonly inputs?: readonly string[];
}

/** Longest file name (in bytes) the common file systems accept. */
const NAME_MAX = 255;

interface Planned {
  readonly file: OutputFile;
  readonly shown: string;
  /** Where the bytes go: the path, or the target of the symbolic link at the path. */
  readonly target: string;
  /** Mode of the regular file being replaced. */
  readonly mode?: number;
  temp?: string;
  backup?: string;
  committed?: boolean;
}

/** Writes every file of `files`, or none of them. */
export function writeOutputs(files: readonly OutputFile[], options: WriteOptions = {}): void {
  const inputs = (options.inputs ?? []).flatMap((p) => fileIdentity(p) ?? []);
  const plans = files.map((file) => plan(file, inputs));
  const twice = sameTarget(plans.map((p) => p.target));
  if (twice) throw new FileError(`cannot write '${plans[twice[1]].shown}': it is the same file as '${plans[twice[0]].shown}', also written by this command`);
  for (const p of plans) ensureDirectory(dirname(p.target), p.shown);
  whileWriting(() => {
    try {
      for (const p of plans) writeTemp(p);
      commit(plans);
    } finally {
      for (const p of plans) {
        if (p.temp && !p.committed) quietly(() => rmSync(p.temp!, { force: true }));
        if (p.backup) quietly(() => rmSync(p.backup!, { force: true }));
      }
    }
  });
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Runs the (synchronous) write with Ctrl-C and SIGTERM held until it has finished, whole or
 * cleaned up, and then ends the process as the signal would have. Their default action killed
 * the process mid-write and left its temporary file (a 256 MiB `.monc-….tmp` per interrupted
 * `monc init`). A JavaScript signal handler runs only between synchronous calls, so the handler
 * below runs after the write; it is removed a moment later (RELEASE_MS: a signal that arrived
 * during the write reaches it in the event loop's poll phase, which a setImmediate-scheduled
 * removal would precede), and until then it acts as the default would. A signal that the
 * program handles itself (a listener is already there: `build --watch`) is left to it.
 */
function whileWriting(write: () => void): void {
  const held = STOP_SIGNALS.filter((signal) => process.listenerCount(signal) === 0);
  const stop = (signal: NodeJS.Signals) => {
    release();
    process.kill(process.pid, signal); // the default action now: the exit status the signal gives
  };
  const release = () => held.forEach((signal) => process.removeListener(signal, stop));
  held.forEach((signal) => process.on(signal, stop));
  try {
    write();
  } finally {
    setTimeout(release, RELEASE_MS);
  }
}

// Generous: on a loaded machine a signal that arrived during the write was seen to reach the handler more than 10 ms after it.
const RELEASE_MS = 250;

/** Writes one file all at once or not at all. */
export function writeOutput(path: string, data: OutputData, options: WriteOptions & { readonly shownAs?: string } = {}): void {
  writeOutputs([{ path, data, shownAs: options.shownAs }], options);
}

/** A path whose last part is empty (a trailing '/'), '.' or '..'. */
const NAMES_DIRECTORY = /(?:^|\/)\.{0,2}$/;

function plan(file: OutputFile, inputs: readonly string[]): Planned {
  const shown = file.shownAs ?? file.path;
  const fail = (why: string) => new FileError(`cannot write '${shown}': ${why}`);
  // resolve() drops a trailing '/' (and a last '.' or '..'), which name a directory whether or not one exists
  // (QA s15 Q40: `--out gdir/` wrote a regular file 'gdir', or replaced one).
  if (NAMES_DIRECTORY.test(file.path)) throw fail("it names a directory (a trailing '/', '.' or '..'); monc writes only regular files");
  let target = resolve(file.path);
  if (Buffer.byteLength(basename(target)) > NAME_MAX) throw fail(`file name too long (over ${NAME_MAX} bytes)`);
  let stats = lstatOrUndefined(target, fail);
  if (stats?.isSymbolicLink()) {
    target = linkTarget(target, fail);
    stats = lstatOrUndefined(target, fail);
  }
  if (stats === undefined) return { file, shown, target };
  const kind = specialKind(stats);
  if (kind !== undefined) throw fail(`it is ${kind}; monc writes only regular files`);
  if (inputs.includes(`${stats.dev}:${stats.ino}`)) throw fail('it is an input of this command: choose another output path');
  // A rename would replace it regardless (even for root): honour the owner's choice instead.
  if ((stats.mode & 0o222) === 0) throw fail('it is read-only (no write permission bits): make it writable or choose another path');
  return { file, shown, target, mode: stats.mode & 0o7777 };
}

/** Symbolic links followed in a chain before it is refused (Linux's own limit). */
const MAX_LINKS = 40;

/**
 * Where a symbolic link is written through: its target, through any further links. A target that
 * does not exist yet is created there, as `cp` and a shell's `>` do (QA s20 Q92: refused).
 */
function linkTarget(link: string, fail: (why: string) => FileError): string {
  const refuse = (why: string) => fail(`it is a symbolic link whose target cannot be resolved (${why})`);
  try {
    return realpathSync(link);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw refuse(ioReason(e));
  }
  let path = link;
  for (let hops = 0; hops < MAX_LINKS; hops++) {
    path = resolve(dirname(path), readlinkSync(path));
    if (!lstatOrUndefined(path, fail)?.isSymbolicLink()) return path;
  }
  throw refuse('too many levels of symbolic links');
}

function lstatOrUndefined(path: string, fail: (why: string) => FileError): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    // ENOTDIR: a parent is a regular file; ensureDirectory names it.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fail(ioReason(e));
  }
}

/** `dev:ino` of an existing file (following links), for comparing paths that may differ in spelling. */
export function fileIdentity(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Throws the FileError writeOutputs would for each path, as far as it can be known before the data
 * exists (a directory, FIFO or device, an input of the command, read-only, a name too long, a
 * parent that is a regular file, a directory it cannot write in or create), and leaves nothing
 * behind: for commands that work a long time before they write (`monc train`), so that the work is
 * never lost. Permission bits do not say it all (root passes every access check, and /proc or
 * /sys refuse root too), so where the file would go is tried: the outermost missing directory is
 * made and removed again, or, when none is missing, a temporary file is made there and removed.
 */
export function checkOutputs(files: readonly Omit<OutputFile, 'data'>[], options: WriteOptions = {}): void {
  const inputs = (options.inputs ?? []).flatMap((p) => fileIdentity(p) ?? []);
  for (const file of files) {
    const p = plan({ ...file, data: '' }, inputs);
    const dir = dirname(p.target);
    const missing = missingDirectories(dir, p.shown);
    const existing = missing.length === 0 ? dir : dirname(missing[0]);
    try {
      accessSync(existing, constants.W_OK);
    } catch (e) {
      throw new FileError(`cannot write '${p.shown}': ${ioReason(e)} (${existing})`);
    }
    if (missing.length > 0) probeDirectory(missing[0], p.shown);
    else probeFile(dir, p.shown);
  }
}

/** Makes `dir` (whose parent exists) and removes it again: the FileError ensureDirectory would throw, or nothing. */
function probeDirectory(dir: string, shown: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return; // made meanwhile: the write finds it
    throw new FileError(`cannot write '${shown}': cannot create directory '${dir}': ${ioReason(e)}`);
  }
  try {
    rmdirSync(dir);
  } catch {
    // Left empty: the write will use it.
  }
}

/** Makes a temporary file in `dir` and removes it: the FileError writing there would throw, or nothing. */
function probeFile(dir: string, shown: string): void {
  const probe = join(dir, `.monc-${process.pid}-${randomBytes(6).toString('hex')}.probe`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw new FileError(`cannot write '${shown}': ${ioReason(e)} (${dir})`);
  }
  try {
    rmSync(probe, { force: true });
  } catch {
    // A probe file left behind is harmless; the error it would hide is not there.
  }
}

/** mkdir -p, one level at a time from the deepest existing ancestor, which must be a directory. `shown` names the file it is for. */
export function ensureDirectory(dir: string, shown: string): void {
  for (const d of missingDirectories(dir, shown)) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw new FileError(`cannot write '${shown}': cannot create directory '${d}': ${ioReason(e)}`);
    }
  }
}

/** The directories above `dir` (itself included) that do not exist, outermost first; the deepest existing ancestor must be a directory. */
function missingDirectories(dir: string, shown: string): string[] {
  const missing: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    let stats: Stats | undefined;
    try {
      stats = statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new FileError(`cannot write '${shown}': a parent is not a directory`);
      if (code !== 'ENOENT') throw new FileError(`cannot write '${shown}': ${ioReason(e)} (${at})`);
    }
    if (stats !== undefined) {
      if (!stats.isDirectory()) throw new FileError(`cannot write '${shown}': '${at}' is not a directory`);
      break;
    }
    missing.push(at);
    if (dirname(at) === at) break;
  }
  return missing.reverse();
}

function writeTemp(p: Planned): void {
  const temp = join(dirname(p.target), `.monc-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  try {
    const { data } = p.file;
    if (typeof data === 'string' || data instanceof Uint8Array) writeFileSync(temp, data, { flag: 'wx' });
    else writePieces(temp, data, p.shown);
    p.temp = temp;
    if (p.mode !== undefined) chmodSync(temp, p.mode);
  } catch (e) {
    p.temp = temp;
    throw e instanceof FileError ? e : new FileError(`cannot write '${p.shown}': ${ioReason(e)}`);
  }
}

/** Bytes a file range is copied through at a time. */
const COPY_CHUNK = 16 * 1024 * 1024;

/** Creates `temp` holding `pieces` in order, each file range copied from its source (checked to be as it was). */
function writePieces(temp: string, pieces: readonly (Uint8Array | FileRange)[], shown: string): void {
  const out = openSync(temp, 'wx');
  try {
    for (const piece of pieces) {
      if (piece instanceof Uint8Array) {
        writeWhole(out, piece);
        continue;
      }
      const { source, offset, length } = piece;
      withRegularFile(source.path, source.what, source.shownAs, (file) => {
        const changed = () => new FileError(`cannot write '${shown}': '${source.shownAs}', which it copies bytes of, was changed or replaced while this command ran`);
        if (file.version() !== source.version) throw changed();
        const buffer = new Uint8Array(Math.min(COPY_CHUNK, length));
        for (let done = 0; done < length; done += buffer.length) {
          const n = Math.min(length - done, buffer.length);
          writeWhole(out, file.read(offset + done, n, buffer.subarray(0, n)));
        }
        // Again after the copy (REV s25 2): a write during it would have landed in part in the bytes copied.
        if (file.version() !== source.version) throw changed();
      });
    }
  } finally {
    closeSync(out);
  }
}

/** Writes all of `bytes` at the file's position (writeSync may write less than asked). */
function writeWhole(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

function commit(plans: Planned[]): void {
  const several = plans.length > 1;
  for (const p of plans) {
    try {
      // Keep the old file under a second name until every rename has succeeded.
      if (several && p.mode !== undefined) p.backup = backupOf(p.target);
      renameSync(p.temp!, p.target);
      p.committed = true;
    } catch (e) {
      rollBack(plans);
      throw new FileError(`cannot write '${p.shown}': ${ioReason(e)}`);
    }
  }
}

/** A hard link to `target` under a temporary name, or undefined where the file system has none. */
function backupOf(target: string): string | undefined {
  const backup = join(dirname(target), `.monc-${process.pid}-${randomBytes(6).toString('hex')}.bak`);
  try {
    linkSync(target, backup);
    return backup;
  } catch {
    return undefined;
  }
}

/** Puts back what the committed renames replaced. */
function rollBack(plans: Planned[]): void {
  for (const p of plans) {
    if (!p.committed) continue;
    if (p.backup) quietly(() => renameSync(p.backup!, p.target));
    else quietly(() => rmSync(p.target, { force: true }));
    p.backup = undefined;
    p.committed = false;
    p.temp = undefined;
  }
}

function quietly(action: () => void): void {
  try {
    action();
  } catch {
    // Cleanup after a failure: the failure itself is what the user must see.
  }
}
