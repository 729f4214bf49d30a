/*
 * Declaration of "embedded:io/socket/tcp/tls": TLS over the ECMA-419 TCP socket, which the SDK ships as an example
 * (examples/io/tcp/tlssocket/tlssocket.js, mapped in manifest.json through examples/io/tcp/tlssocket/manifest.json). The
 * SDK has no typing under that specifier, so mcconfig's TypeScript step would reject the import; manifest.json maps this
 * file to the specifier for the device build and tsconfig.esp32.json maps it for `npm run typecheck`. Only what rc485
 * uses is declared: the MQTT client constructs the socket (options: the TCP options plus `host`, the TCP class as
 * `TCP.io`, and `secure`, spread into the TLS session options) and closes it.
 */
export interface TLSSocketOptions {
  host?: string;
  address?: string;
  port?: number;
  TCP: { io: unknown };
  secure?: Record<string, unknown>;
  onReadable?: (count: number) => void;
  onWritable?: (count: number) => void;
  onError?: (error?: unknown) => void;
  [option: string]: unknown;
}

export default class TLSSocket {
  constructor(options: TLSSocketOptions);
  read(count?: number | ArrayBufferLike): ArrayBuffer | undefined;
  write(buffer: ArrayBufferLike | ArrayBufferView): number;
  close(): void;
  get format(): string;
  set format(format: string);
}
