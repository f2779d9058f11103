/**
 * How many schedules `monc tune` tries per kernel unless told (`--max-candidates`). Its own
 * import-free file so that the CLI's option table can show it without loading the tuner.
 */
export const DEFAULT_MAX_CANDIDATES = 24;
