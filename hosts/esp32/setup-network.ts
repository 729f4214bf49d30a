/*
 * Replaces the SDK's Wi-Fi set-up step (build/devices/esp32/setup/network, which with config.ssid set holds `main` back
 * until Wi-Fi and SNTP are done). rc485 must start its RS-485 side at boot whether or not Wi-Fi is up, so this set-up
 * step returns at once; the role mains join and re-join Wi-Fi themselves (hosts/esp32/wifi-keeper.ts) and fetch the time
 * (hosts/esp32/clock-sync.ts) once the network is up.
 */
export default function setupNetwork(done: () => void): void {
  done();
}
