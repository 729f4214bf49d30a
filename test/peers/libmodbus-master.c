/* A libmodbus RTU master for rc485's interop test (test/rtu-libmodbus.test.ts): runs one call per supported function
 * against unit 17 on the serial device given as argv[1] and prints one line per call with what libmodbus returned.
 * Build: gcc -o libmodbus-master libmodbus-master.c -I/usr/include/modbus -lmodbus */
#include <errno.h>
#include <stdio.h>
#include <modbus.h>

static void regs(const char *name, int rc, const uint16_t *v) {
  printf("%s rc=%d", name, rc);
  if (rc < 0) printf(" error=%s", modbus_strerror(errno));
  for (int i = 0; i < rc; i++) printf(" %u", v[i]);
  printf("\n");
}

static void bits(const char *name, int rc, const uint8_t *v) {
  printf("%s rc=%d ", name, rc);
  if (rc < 0) printf("error=%s", modbus_strerror(errno));
  for (int i = 0; i < rc; i++) printf("%u", v[i]);
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  modbus_t *ctx = modbus_new_rtu(argv[1], 9600, 'N', 8, 1);
  if (!ctx || modbus_set_slave(ctx, 17) < 0 || modbus_connect(ctx) < 0) {
    fprintf(stderr, "connect: %s\n", modbus_strerror(errno));
    return 1;
  }
  modbus_set_response_timeout(ctx, 2, 0);
  uint16_t r[128];
  uint8_t b[2000];
  regs("03", modbus_read_registers(ctx, 0x6b, 3, r), r);
  regs("04", modbus_read_input_registers(ctx, 8, 1, r), r);
  bits("01", modbus_read_bits(ctx, 0x13, 0x13, b), b);
  bits("02", modbus_read_input_bits(ctx, 0xc4, 0x16, b), b);
  printf("05 rc=%d\n", modbus_write_bit(ctx, 0xac, 1));
  printf("06 rc=%d\n", modbus_write_register(ctx, 1, 3));
  const uint8_t coils[10] = {1, 0, 1, 1, 0, 0, 1, 1, 1, 0};
  printf("0F rc=%d\n", modbus_write_bits(ctx, 0x13, 10, coils));
  const uint16_t w[2] = {0x000a, 0x0102};
  printf("10 rc=%d\n", modbus_write_registers(ctx, 1, 2, w));
  printf("16 rc=%d\n", modbus_mask_write_register(ctx, 4, 0x00f2, 0x0025));
  const uint16_t w3[3] = {0xff, 0xff, 0xff};
  regs("17", modbus_write_and_read_registers(ctx, 0x0e, 3, w3, 3, 6, r), r);
  int n = modbus_report_slave_id(ctx, sizeof b, b);
  printf("11 rc=%d", n);
  for (int i = 0; i < n; i++) printf(" %02X", b[i]);
  printf("\n");
  regs("03x", modbus_read_registers(ctx, 0x04a1, 1, r), r);
  regs("03big", modbus_read_registers(ctx, 0, 125, r), r);
  modbus_close(ctx);
  modbus_free(ctx);
  return 0;
}
