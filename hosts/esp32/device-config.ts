/*
 * Build-time configuration of a device (manifest `config`, overridable as key=value on the mcconfig command line, where
 * every value arrives as a string): role, Wi-Fi, pins and who drives DE (aDriverEnable/bDriverEnable), HTTP, the admin
 * token and the default site. Numbers are parsed and checked here; errors name the config key. The admin token is empty
 * (PUT /api/site off) or at least ADMIN_TOKEN_MIN characters.
 */
export interface PortPins {
  readonly uart: number;
  readonly txPin: number;
  readonly rxPin: number;
  readonly dePin: number;
  /** "gpio": dePin is a GPIO dropped by a timer (default); "rts": dePin is the UART's RTS, dropped by the UART (docs/esp32.md). */
  readonly driverEnable: "gpio" | "rts";
}

export interface DeviceConfig {
  readonly role: "concentrator" | "repeater";
  readonly ssid: string;
  readonly password: string;
  readonly httpPort: number;
  readonly adminToken: string;
  readonly dnsServer: string;
  /** Concentrator bus; repeater side A. */
  readonly portA: PortPins;
  /** Repeater side B (FEC link). */
  readonly portB: PortPins;
  readonly site: string;
}

function int(config: Record<string, unknown>, key: string, fallback: number): number {
  const raw = config[key];
  const v = raw === undefined || raw === "" ? fallback : typeof raw === "number" ? raw : Number(raw);
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new RangeError(`config.${key} must be an integer, got ${String(raw)}`);
  return v;
}

function driverEnable(config: Record<string, unknown>, key: string): "gpio" | "rts" {
  const raw = config[key];
  if (raw === undefined || raw === "" || raw === "gpio") return "gpio";
  if (raw === "rts") return "rts";
  throw new RangeError(`config.${key} must be "gpio" (DE+/RE on a GPIO, dropped by a timer) or "rts" (DE+/RE on the UART's RTS pin, dropped by the UART; rc485's native UART class), got ${JSON.stringify(raw)}`);
}

function str(config: Record<string, unknown>, key: string, fallback: string): string {
  const raw = config[key];
  if (raw === undefined) return fallback;
  if (typeof raw === "string") return raw;
  return JSON.stringify(raw);
}

/** Shortest admin token accepted (an empty one turns the site endpoint off). */
export const ADMIN_TOKEN_MIN = 16;

export function deviceConfig(config: Record<string, unknown>): DeviceConfig {
  const role = str(config, "role", "concentrator");
  if (role !== "concentrator" && role !== "repeater") throw new RangeError(`config.role must be "concentrator" or "repeater", got "${role}"`);
  const adminToken = str(config, "adminToken", "");
  if (adminToken !== "" && adminToken.length < ADMIN_TOKEN_MIN) {
    throw new RangeError(`config.adminToken must be at least ${ADMIN_TOKEN_MIN} characters (mcconfig … adminToken=<random>), or empty to turn PUT /api/site off; got ${adminToken.length}`);
  }
  return {
    role,
    ssid: str(config, "ssid", ""),
    password: str(config, "password", ""),
    httpPort: int(config, "httpPort", 80),
    adminToken,
    dnsServer: str(config, "dnsServer", "1.1.1.1"),
    portA: { uart: int(config, "aUart", 2), txPin: int(config, "aTx", 17), rxPin: int(config, "aRx", 16), dePin: int(config, "aDe", 4), driverEnable: driverEnable(config, "aDriverEnable") },
    portB: { uart: int(config, "bUart", 1), txPin: int(config, "bTx", 26), rxPin: int(config, "bRx", 25), dePin: int(config, "bDe", 27), driverEnable: driverEnable(config, "bDriverEnable") },
    site: str(config, "site", ""),
  };
}
