/*
 * Local declarations for the Moddable SDK modules rc485 uses where npm @moddable/typings 5.6.0 is missing or stale
 * (checked against the SDK sources: examples/io/tcp/mqttclient/mqttclient.js, examples/io/tcp/tlssocket/tlssocket.js,
 * modules/io/serial/esp32/serial.c). Only what rc485 calls is declared. Used by tsconfig.esp32.json on this machine; a
 * device build type-checks against the SDK's own, newer typings (mcconfig maps them), so the code casts where the two differ.
 */

/** The ECMA-419 MQTT client the SDK ships as an example (examples/io/tcp/mqttclient); onControl gets one message object. */
declare module "embedded:network/mqtt/client" {
  export interface ControlMessage {
    operation: number;
    id?: number;
  }
  export interface MqttClientOptions {
    host: string;
    port?: number;
    id?: string;
    user?: string;
    password?: string | ArrayBuffer;
    clean?: boolean;
    keepalive?: number;
    will?: { topic: string; message: ArrayBuffer; QoS?: number; retain?: boolean | number };
    dns: { io: unknown; servers: string[]; socket: { io: unknown } };
    socket: { io: unknown; TCP?: { io: unknown }; secure?: Record<string, unknown> };
    onControl?: (this: MQTTClient, message: ControlMessage) => void;
    onReadable?: (this: MQTTClient, count: number, options: { topic?: string; more?: boolean }) => void;
    onWritable?: (this: MQTTClient, count: number) => void;
    onClose?: (this: MQTTClient) => void;
    onError?: (this: MQTTClient, error?: unknown) => void;
  }
  export default class MQTTClient {
    constructor(options: MqttClientOptions);
    /** Publishes (options.topic) or sends a control packet (options.operation); returns the writable bytes left; throws "overflow". */
    write(data: ArrayBuffer | Uint8Array | null, options?: { topic?: string; QoS?: number; retain?: boolean; id?: number; operation?: number; byteLength?: number }): number;
    read(count: number): ArrayBuffer;
    close(): void;
    static readonly CONNACK: 2;
    static readonly PUBLISH: 3;
    static readonly PUBACK: 4;
    static readonly PINGREQ: 12;
    static readonly DISCONNECT: 14;
  }
}

/** XS FFI (documentation/xs/XS FFI.md): the functions named in the manifest's "ffi" section, as methods. */
declare module "mc/ffi" {
  export default class FFI {
    constructor();
  }
}
