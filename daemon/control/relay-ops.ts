/** The relay's operations on the management socket: relay.status, relay.isolate, relay.restore. */
import { RelayCommandError, type RelayManager } from '../relay-manager';
import { actorText, ControlError, MAX_REASON, type ControlRequest } from './protocol';
import type { ControlServer } from './server';

/** `manager()` returns null when the running policy has no relay. */
export function registerRelayOps(server: ControlServer, manager: () => RelayManager | null): void {
  const need = (): RelayManager => {
    const m = manager();
    if (m === null) throw new ControlError('no_relay', 'no relay is configured (the policy has no relay: section)');
    return m;
  };
  const reasonOf = (req: ControlRequest): string => {
    const r = typeof req.reason === 'string' ? req.reason.trim() : '';
    if (r === '') throw new ControlError('reason_required', `${req.op} needs --reason`);
    return r.slice(0, MAX_REASON);
  };
  const mapErr = (err: unknown): never => {
    if (err instanceof RelayCommandError) throw new ControlError(err.code, err.message);
    throw err;
  };
  server.handle('relay.status', () => need().status());
  server.handle('relay.isolate', (req) => need().isolate(actorText(req), reasonOf(req)).catch(mapErr));
  server.handle('relay.restore', (req) => need().restore(actorText(req), reasonOf(req)).catch(mapErr));
}
