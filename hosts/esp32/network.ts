/*
 * The network classes the device's MQTT forwarder is built from (Moddable SDK: embedded:io/socket/*, the UDP DNS
 * resolver, the example MQTT client and TLS socket, mapped in manifest.json). Device only.
 */
import MQTTClient from "embedded:network/mqtt/client";
import TCP from "embedded:io/socket/tcp";
import UDP from "embedded:io/socket/udp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resolver from "embedded:network/dns/resolver/udp";
import type { MqttClientLike, MqttClientOptionsLike, MqttPlatform } from "./mqtt-forwarder";

export function mqttPlatform(dnsServers: string[], secure?: Record<string, unknown>): MqttPlatform {
  return { Client: MQTTClient as unknown as new (options: MqttClientOptionsLike) => MqttClientLike, Resolver, UDP, TCP, TLS: TLSSocket, secure, dnsServers };
}
