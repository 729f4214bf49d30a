// The examples shown in docs/mqtt.md, produced by the code itself (test/docs.test.ts checks the document still matches).
import { discoveryDocument } from "../../modules/forwarding/ha-discovery";
import { MqttLayout } from "../../modules/forwarding/mqtt-payload";
import type { MeterMeta } from "../../modules/concentrator/readings";
import { metersDocument } from "../../modules/forwarding/status-json";
import { syntheticSite } from "./synthetic-site";

export const DOC_METER: MeterMeta = {
  name: "heatpump", profile: "eastron-sdm120", manufacturer: "Eastron", model: "SDM120-Modbus", unit: 2, intervalMs: 10_000,
  points: [
    { name: "voltage_l1_n", label: "Voltage L1-N", unit: "V", deviceClass: "voltage", stateClass: "measurement", type: "f32" },
    { name: "power_active_total", label: "Active power, total", unit: "W", deviceClass: "power", stateClass: "measurement", type: "f32" },
    { name: "energy_active_import_total", label: "Active energy import, total", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing", type: "f32" },
  ],
};

export function docExamples(): Record<string, string> {
  const layout = new MqttLayout({ prefix: "rc485", site: "home" }, [DOC_METER]);
  const values = new Float64Array([Math.fround(230.4), Math.fround(1650.25), Math.fround(6121.31)]);
  const state = layout.statePayload(0, values, 0, Date.UTC(2026, 10, 21, 5, 59, 50, 120));
  const nan = new Float64Array([Math.fround(229.9), NaN, Math.fround(6121.32)]);
  const stateNull = layout.statePayload(0, nan, 0, Date.UTC(2026, 10, 21, 6, 0, 0, 118));
  const discovery = JSON.stringify(discoveryDocument(layout, 0, { name: "rc485", sw: "0.1.0" }), null, 2);
  const site = syntheticSite();
  const meters = metersDocument(site.store, site.nowUs, site.nowMs);
  const one = { time: meters.time, meters: [{ ...meters.meters[1], points: meters.meters[1].points.slice(0, 2) }], totals: meters.totals };
  return {
    topics: [layout.statusTopic, layout.availabilityTopics[0], layout.stateTopics[0], layout.discoveryTopics[0]].join("\n"),
    state,
    stateNull,
    discovery,
    meters: JSON.stringify(one, null, 2),
  };
}
