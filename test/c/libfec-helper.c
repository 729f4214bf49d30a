/*
 * Test helper for test/libfec.test.ts: runs Debian's libfec (init_rs_char(8, 0x11d, 0, 1, nroots, pad)) on requests read
 * from stdin, one per line, and answers one line each:
 *   E <nroots> <hex data>             ->  P <hex parity>
 *   D <nroots> <hex data+parity>      ->  R <return value> <hex data+parity after decoding> <error positions...>
 * Positions are libfec's eras_pos output (index into data+parity; negative when libfec located an error in the padding).
 */
#include <fec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unhex(const char *s, unsigned char *out, int max) {
  int n = 0;
  while (s[0] && s[1] && s[0] != '\n' && n < max) {
    unsigned v;
    if (sscanf(s, "%2x", &v) != 1) return -1;
    out[n++] = (unsigned char)v;
    s += 2;
  }
  return n;
}

static void hex(const unsigned char *b, int n) {
  for (int i = 0; i < n; i++) printf("%02x", b[i]);
}

int main(void) {
  static char line[4096];
  unsigned char buf[512];
  int pos[256];
  while (fgets(line, sizeof line, stdin)) {
    char op;
    int nroots, skip = 0;
    if (sscanf(line, "%c %d %n", &op, &nroots, &skip) < 2) { printf("X bad request\n"); continue; }
    int n = unhex(line + skip, buf, sizeof buf);
    int len = op == 'E' ? n : n - nroots;
    if (len < 1 || len > 255 - nroots) { printf("X bad length %d\n", len); continue; }
    void *rs = init_rs_char(8, 0x11d, 0, 1, nroots, 255 - nroots - len);
    if (!rs) { printf("X init_rs_char failed\n"); continue; }
    if (op == 'E') {
      unsigned char parity[32];
      encode_rs_char(rs, buf, parity);
      printf("P ");
      hex(parity, nroots);
      printf("\n");
    } else {
      memset(pos, 0, sizeof pos);
      int ret = decode_rs_char(rs, buf, pos, 0);
      printf("R %d ", ret);
      hex(buf, n);
      for (int i = 0; i < ret; i++) printf(" %d", pos[i]);
      printf("\n");
    }
    free_rs_char(rs);
  }
  return 0;
}
