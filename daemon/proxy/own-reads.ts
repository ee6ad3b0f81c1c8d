/**
 * Give an accepted plain-TCP socket caller-owned reads (`onread`, as net.connect offers).
 *
 * Why: a socket accepted by net.Server reads through the Readable stream (a new Buffer per
 * read, then push → 'data' → a nextTick), and net.Server has no `onread` option (Node 20 and
 * 24). The proxy's device side already reads into a reused buffer; the client side's stream
 * layer was the one per-transaction cost left that a plain relay does not avoid either way.
 *
 * How: the accepted socket is still paused (the listener uses `pauseOnConnect`, so nothing was
 * read), so its libuv handle is moved into a new net.Socket built with `onread` — the same
 * constructor path net.Server uses for an accepted handle (`handle`, `pauseOnCreate`), which is
 * where Node reads `onread` and makes the handle read into the caller's buffer. The server's
 * connection count moves with it (`_server`), so `server.close()` still waits for it.
 *
 * This leans on Node internals (`_handle`, `_server`, `pauseOnCreate`). Every one is checked
 * first; when anything does not look as expected the socket is left alone (null) and the
 * proxy reads it through the stream as before — slower, never wrong.
 */
import net from 'node:net';
import tls from 'node:tls';

interface AcceptedInternals {
  _handle: { readStart?: unknown; readStop?: unknown; useUserBuffer?: unknown; reading?: unknown } | null;
  _server: net.Server | null;
  server: net.Server | null;
}

/** A new socket on `sock`'s connection that reads through `onread`, paused; null: use `sock` as it is. */
export function withOwnReads(sock: net.Socket, onread: net.OnReadOpts): net.Socket | null {
  const s = sock as unknown as AcceptedInternals;
  const h = s._handle;
  const usable = !(sock instanceof tls.TLSSocket) && !sock.destroyed && !sock.connecting
    && sock.bytesRead === 0 && sock.readableLength === 0 && sock.readableFlowing === false
    && h !== null && typeof h === 'object' && h.reading === false
    && typeof h.readStart === 'function' && typeof h.readStop === 'function' && typeof h.useUserBuffer === 'function';
  if (!usable) return null;
  const server = s._server instanceof net.Server ? s._server : null;
  const own = new net.Socket({
    handle: h,
    allowHalfOpen: sock.allowHalfOpen,
    readable: true,
    writable: true,
    onread,
    pauseOnCreate: true, // as net.Server creates an accepted socket under pauseOnConnect
  } as net.SocketConstructorOpts & { handle: unknown; pauseOnCreate: boolean });
  // The old socket lets go of the handle without closing it, and of the server's count.
  s._handle = null;
  s._server = null;
  s.server = null;
  sock.destroy();
  if (server !== null) {
    const o = own as unknown as AcceptedInternals;
    o._server = server;
    o.server = server;
  }
  return own;
}
