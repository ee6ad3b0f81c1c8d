/**
 * Where otgate keeps its state, resolved one way for every command (daemon, `events`, tests).
 * The environment overrides the FHS defaults so tests and non-root runs can point elsewhere;
 * systemd's StateDirectory=/RuntimeDirectory= give the defaults.
 */
import path from 'node:path';

export const DEFAULT_STATE_DIR = '/var/lib/otgate';
export const DEFAULT_RUN_DIR = '/run/otgate';

type Env = Readonly<Record<string, string | undefined>>;

/** `$OTGATE_STATE_DIR` or /var/lib/otgate. */
export function stateDir(env: Env = process.env): string {
  const v = env.OTGATE_STATE_DIR;
  return v !== undefined && v !== '' ? v : DEFAULT_STATE_DIR;
}

/** `$OTGATE_RUN_DIR` or /run/otgate (sockets, pid files). */
export function runDir(env: Env = process.env): string {
  const v = env.OTGATE_RUN_DIR;
  return v !== undefined && v !== '' ? v : DEFAULT_RUN_DIR;
}

/** The audit store: `<state dir>/audit.db`. */
export function defaultDbPath(env: Env = process.env): string {
  return path.join(stateDir(env), 'audit.db');
}
