/**
 * `vite build --watch` (Vite 8, rolldown) does not watch a path that does not exist yet, nor does `rollup -w` one whose
 * folder does not exist either, so a tuning database or mask file that first appears during the watch went unnoticed
 * (QA s18 Q70; QA2 s21 Q51 for Rollup).
 * Here each such path's nearest existing folder is watched (fs.watch, one level) until the path
 * appears; then a file of our own that the bundler does watch (the trigger, added to every spec's
 * watch files) is rewritten, and the rebuild it starts reads the new file and watches it from
 * then on. Handing the folder itself to the bundler instead keeps it watched for the whole
 * session: every change in it rebuilds, and a build output inside it rebuilds without end.
 */
import { existsSync, mkdtempSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Signals that end a watch (Ctrl-C, a process manager's stop). `vite build --watch` leaves them to Node's default, which
 * ends the process without closeWatcher or an 'exit' event: the trigger's folder stayed in the temporary folder (QA2 s21
 * Q52). Where no handler has them when the trigger is made, one of ours removes the folder, then lets the signal end the
 * process as it would have. Where the bundler handles them (`rollup -w`, through signal-exit, which acts only while its
 * handlers are the only ones, then runs closeWatcher), ours would keep the process alive: none is added (REV s21 1).
 */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export class MissingPaths {
  private readonly watchers = new Map<string, FSWatcher>();
  private triggerFile: string | undefined;
  /** The followed paths that appeared since takeAppeared() was last called. */
  private appeared: string[] = [];
  /** An ending signal came: a trigger made after it (a rebuild the folder's removal started) gets no handler again. */
  private ending = false;

  /**
   * @param onAppear called when a followed path has appeared, after the trigger is rewritten: the dev server reloads from
   * here, not from its watcher's report of the trigger, which it may not watch yet when a path appears just after the
   * import that named it (a CI run missed such a mask's appearance).
   */
  constructor(private readonly onAppear?: () => void) {}

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.ending = true;
    this.removeTrigger();
    // Without ours no handler is left: the default action (the end of the process) is what the signal meant. A handler
    // added after ours stays in charge instead.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  private readonly onExit = (): void => this.removeTrigger();

  /** The file the bundler should watch for every spec that follows a path (created on first use). */
  trigger(): string {
    if (this.triggerFile === undefined) {
      this.triggerFile = join(mkdtempSync(join(tmpdir(), 'monc-watch-')), 'trigger');
      writeFileSync(this.triggerFile, '');
      if (!this.ending) for (const signal of ENDING_SIGNALS) if (process.listenerCount(signal) === 0) process.on(signal, this.onSignal);
      process.on('exit', this.onExit);
    }
    return this.triggerFile;
  }

  /**
   * The followed paths that appeared since the last call. The dev server's watcher is given them: it does not report a
   * file in a folder made after it started (QA2 s31 Q959: a mask's later edits reloaded nothing), and Vite adds a
   * module's watch file under the root to it only when it is outside the root.
   */
  takeAppeared(): string[] {
    const paths = this.appeared;
    this.appeared = [];
    return paths;
  }


  /**
   * Follows every path of `paths` that does not exist yet (once each), until it does; true when one of them is followed
   * (its spec then watches the trigger), so a watch where nothing is missing makes no trigger at all.
   */
  follow(paths: readonly string[]): boolean {
    for (const path of paths) if (!this.watchers.has(path) && !existsSync(path)) this.watchFolderOf(path);
    return paths.some((path) => this.watchers.has(path));
  }

  /** Stops following (the watch is over). */
  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.removeTrigger();
  }

  /** Removes the trigger's folder and the handlers that would have removed it. */
  private removeTrigger(): void {
    if (this.triggerFile !== undefined) rmSync(dirname(this.triggerFile), { recursive: true, force: true });
    this.triggerFile = undefined;
    for (const signal of ENDING_SIGNALS) process.off(signal, this.onSignal);
    process.off('exit', this.onExit);
  }

  private watchFolderOf(path: string): void {
    const folder = nearestFolder(path);
    const check = () => {
      if (existsSync(path)) {
        this.stop(path);
        this.appeared.push(path);
        writeFileSync(this.trigger(), `${path}\n`);
        this.onAppear?.();
      } else if (nearestFolder(path) !== folder) {
        // A folder on the way was made (masks/ before masks/m.npy): watch the deepest one that exists now.
        this.stop(path);
        this.watchFolderOf(path);
      }
    };
    const watcher = watch(folder, check);
    // A watch may run in a process that should still end when the bundler's does.
    watcher.unref();
    this.watchers.set(path, watcher);
    // The path may have appeared between the first look and the watch.
    check();
  }

  private stop(path: string): void {
    this.watchers.get(path)?.close();
    this.watchers.delete(path);
  }
}

/** The deepest existing folder above `path`. */
function nearestFolder(path: string): string {
  let folder = dirname(path);
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
}
