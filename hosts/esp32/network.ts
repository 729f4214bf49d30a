/*
 * The network classes the device's MQTT forwarder is built from (Moddable SDK: embedded:io/socket/*, the UDP DNS
 * resolver, the example MQTT client and TLS socket, mapped in manifest.json), and its TLS options from the settings
 * (hosts/esp32/mqtt-tls.ts), so both roles connect the same way. Device only.
 */
import MQTTClient from "embedded:network/mqtt/client";
import TCP from "embedded:io/socket/tcp";
import UDP from "embedded:io/socket/udp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resolver from "embedded:network/dns/resolver/udp";
import Resource from "Resource";
import type { MqttSettings } from "../../modules/forwarding/config";
import type { MqttClientLike, MqttClientOptionsLike, MqttPlatform } from "./mqtt-forwarder";
import { mqttTlsOptions } from "./mqtt-tls";

const resources = {
  exists: (name: string) => Resource.exists(name),
  read: (name: string) => new Resource(name).slice(0) as ArrayBuffer,
};

export function mqttPlatform(dnsServers: string[], settings: MqttSettings): MqttPlatform {
  const secure = mqttTlsOptions(settings, resources);
  return { Client: MQTTClient as unknown as new (options: MqttClientOptionsLike) => MqttClientLike, Resolver, UDP, TCP, TLS: TLSSocket, secure, dnsServers };
}
