// esbuild plugin: the Moddable device modules rc485's ESP32 host imports, mapped to the fakes of
// test/harness/device-world.ts, and the absolute `hosts/esp32/*` specifiers (as XS resolves them on the device) mapped to
// the project's files. With it, `setup/rc485` bundles for Node or for the XS engine unchanged.
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const world = `${root}test/harness/device-world.ts`;

/** Specifier → the module text that stands in for it. */
const DEVICE = {
  "mc/config": `import { config } from ${JSON.stringify(world)}; export default config;`,
  "embedded:io/serial": `export { Serial as default } from ${JSON.stringify(world)};`,
  "embedded:io/digital": `export { Digital as default } from ${JSON.stringify(world)};`,
  "rc485/uart-rs485": `export { UartRs485 as default } from ${JSON.stringify(world)};`,
  timer: `import { Timer } from ${JSON.stringify(world)}; export default Timer;`,
  time: `import { Time } from ${JSON.stringify(world)}; export default Time;`,
  preference: `export { Preference as default } from ${JSON.stringify(world)};`,
  flash: `export { Flash as default } from ${JSON.stringify(world)};`,
  Resource: `export { Resource as default } from ${JSON.stringify(world)};`,
  "mc/ffi": `export { FFI as default } from ${JSON.stringify(world)};`,
  sntp: `export { SNTP as default } from ${JSON.stringify(world)};`,
  wifi: `export { FakeWiFi as default } from ${JSON.stringify(world)};`,
  http: `export { HttpServer as Server } from ${JSON.stringify(world)};`,
  "embedded:network/mqtt/client": `export { FakeMqttClient as default } from ${JSON.stringify(world)};`,
  "embedded:io/socket/listener": `export { FakeListener as default } from ${JSON.stringify(world)};`,
  "embedded:io/socket/tcp": `export { FakeTcp as default } from ${JSON.stringify(world)};`,
  "embedded:io/socket/udp": `export { Placeholder as default } from ${JSON.stringify(world)};`,
  "embedded:io/socket/tcp/tls": `export { Placeholder as default } from ${JSON.stringify(world)};`,
  "embedded:network/dns/resolver/udp": `export { Placeholder as default } from ${JSON.stringify(world)};`,
};

export const deviceModulesPlugin = {
  name: "rc485-device-modules",
  setup(build) {
    build.onResolve({ filter: /^(mc\/config|mc\/ffi|embedded:.*|rc485\/uart-rs485|timer|time|preference|flash|Resource|sntp|wifi|http)$/ }, (args) =>
      DEVICE[args.path] !== undefined ? { path: args.path, namespace: "device" } : undefined);
    build.onLoad({ filter: /.*/, namespace: "device" }, (args) => ({ contents: DEVICE[args.path], loader: "ts", resolveDir: root }));
    build.onResolve({ filter: /^hosts\/esp32\// }, (args) => ({ path: `${root}${args.path}.ts` }));
  },
};
