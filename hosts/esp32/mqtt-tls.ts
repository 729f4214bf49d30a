/*
 * TLS options for the device's MQTT connection, the same for both roles: the SDK's TLS socket
 * (examples/io/tcp/tlssocket → modules/crypt/ssl) takes them as `secure`. On the device `forwarding.mqtt.ca` names a
 * DER certificate built in as a data resource (not a PEM file path as on Node); `rejectUnauthorized: false` turns
 * verification off. Plain mqtt:// needs none (undefined). Kept free of Moddable imports (the resource lookup is passed
 * in) so the tests run it; hosts/esp32/network.ts gives it the SDK's Resource class.
 */
import type { MqttSettings } from "../../modules/forwarding/config";

export interface ResourceLookup {
  exists(name: string): boolean;
  read(name: string): ArrayBuffer;
}

export function mqttTlsOptions(settings: Pick<MqttSettings, "tls" | "ca" | "rejectUnauthorized">, resources: ResourceLookup): Record<string, unknown> | undefined {
  if (!settings.tls) return undefined;
  const secure: Record<string, unknown> = { verify: settings.rejectUnauthorized };
  const ca = settings.ca;
  if (ca !== undefined && ca !== "") {
    if (!resources.exists(ca)) throw new RangeError(`forwarding.mqtt.ca: no resource "${ca}" in this firmware (add the DER certificate to the manifest's data)`);
    secure.certificate = resources.read(ca);
  }
  return secure;
}
