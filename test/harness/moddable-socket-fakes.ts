// Fakes of the ECMA-419 socket classes as the Moddable SDK implements them on lwIP (modules/io/socket/lwip/tcp.c), built
// on node:net, so hosts/esp32/gateway-listener.ts can be exercised by real clients on Node:
//  - Listener({ port, address, onReadable(count) }); read() returns an accepted connection handle, or undefined; the
//    `address` is ignored and every interface is bound, as lwIP's listener does (modules/io/socket/lwip/tcp.c line 673
//    IP_ADDR_ANY, line 687 "//@@ address"); the fake keeps it in `requestedAddress`;
//  - TCP({ from, onReadable(count), onWritable(count), onError() }): callbacks arrive later, never inside a call;
//    read(view) fills the whole view and throws when that is more than is buffered; write(view) throws "would block"
//    when the view is larger than the send-buffer space and returns the space left; onWritable follows adoption and
//    each drain; onError follows the peer's close once every buffered byte was read; remoteAddress is dotted IPv4.
// Reading nothing closes the receive window: the fake pauses the socket when SNDBUF bytes are buffered and unread.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { ListenerIo, ListenerOptions, SocketHandle, TcpIo, TcpOptions } from "../../hosts/esp32/gateway-listener";

const SNDBUF = 5744; // lwIP TCP_SND_BUF in the ESP-IDF default configuration (4 × MSS)
const RCVWND = 5744;

export class FakeListener implements ListenerIo {
  static last: FakeListener | null = null;
  readonly server: Server;
  readonly requestedAddress: string | undefined;
  readonly listening: Promise<AddressInfo>;
  private readonly pending: Socket[] = [];
  constructor(options: ListenerOptions) {
    FakeListener.last = this;
    this.requestedAddress = options.address;
    this.server = createServer({ pauseOnConnect: true }, (socket) => {
      this.pending.push(socket);
      setImmediate(() => { if (this.pending.length > 0) options.onReadable.call(this, this.pending.length); });
    });
    this.listening = new Promise((resolve) => this.server.listen(options.port, "0.0.0.0", () => resolve(this.server.address() as AddressInfo)));
  }
  read(): SocketHandle | undefined {
    return this.pending.shift();
  }
  close(): void {
    this.server.close();
    for (const s of this.pending) s.destroy();
  }
}

export class FakeTcp implements TcpIo {
  private readonly socket: Socket;
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private closed = false;
  private errored = false;
  private readablePosted = false;
  readonly remoteAddress: string;
  constructor(private readonly options: TcpOptions) {
    this.socket = options.from as Socket;
    this.remoteAddress = (this.socket.remoteAddress ?? "").replace(/^::ffff:/i, "");
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.buffered >= RCVWND) this.socket.pause();
      this.postReadable();
    });
    this.socket.on("drain", () => setImmediate(() => { if (!this.closed) options.onWritable.call(this, this.room()); }));
    this.socket.on("error", () => {});
    this.socket.on("close", () => { this.errored = true; this.postError(); });
    this.socket.resume();
    setImmediate(() => { if (!this.closed) options.onWritable.call(this, this.room()); });
  }
  private room(): number {
    return Math.max(0, SNDBUF - this.socket.writableLength);
  }
  private postReadable(): void {
    if (this.readablePosted) return;
    this.readablePosted = true;
    setImmediate(() => {
      this.readablePosted = false;
      if (!this.closed && this.buffered > 0) this.options.onReadable.call(this, this.buffered);
    });
  }
  private postError(): void {
    setImmediate(() => { if (!this.closed && this.errored && this.buffered === 0) this.options.onError.call(this); });
  }
  read(view: Uint8Array): number {
    const n = view.length;
    if (n <= 0 || n > this.buffered) throw new Error("invalid");
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - at);
      view.set(c.subarray(0, k), at);
      at += k;
      if (k === c.length) this.chunks.shift(); else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    if (this.buffered < RCVWND && this.socket.isPaused()) this.socket.resume();
    if (this.buffered === 0 && this.errored) this.postError();
    return n;
  }
  write(view: Uint8Array): number {
    if (this.closed || this.errored) return 0;
    if (view.length > this.room()) throw new Error("would block");
    this.socket.write(Buffer.from(view));
    return this.room();
  }
  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
