/**
 * Progress of a long command on stderr: on a terminal one line redrawn in place (a bar, the
 * count, what just happened); otherwise (a log file, a pipe, tests) one plain line per step.
 */
import type { CommandContext } from './context.js';

export interface Progress {
  update(done: number, total: number, line: string): void;
  /** Clears the bar (a no-op for plain lines). */
  finish(): void;
}

const BAR_WIDTH = 24;
/** A redrawn line longer than the terminal would wrap and stop redrawing in place. */
const TTY_LINE = 100;

export function progress(ctx: CommandContext, command: string): Progress {
  const { io } = ctx;
  if (!io.stderrIsTty) return { update: (done, total, line) => io.stderr(`monc ${command}: [${done}/${total}] ${line}\n`), finish: () => {} };
  return {
    update(done, total, line) {
      const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
      const text = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${line}`;
      io.stderr(`\r\x1b[K${text.length > TTY_LINE ? `${text.slice(0, TTY_LINE - 1)}…` : text}`);
    },
    finish: () => io.stderr('\r\x1b[K'),
  };
}
