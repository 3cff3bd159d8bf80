// crc32: table-driven CRC-32 (IEEE 802.3, reflected, init and final xor ~0) of 65536 bytes from a 32-bit LCG.
// The test regenerates the same bytes (state = state * 1664525 + 1013904223 from 12345, byte = state >> 24) and
// compares with zlib.crc32, so shifts, xors and unsigned compares are checked against an outside implementation.

#include "sys.h"

#define LENGTH 65536

static uint32_t table[256];
static uint8_t data[LENGTH];

static void make_table(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
}

int main(void) {
  uint32_t state = 12345;
  for (uint32_t i = 0; i < LENGTH; i++) {
    state = state * 1664525u + 1013904223u;
    data[i] = (uint8_t)(state >> 24);
  }
  make_table();
  uint32_t crc = 0xffffffffu;
  for (uint32_t i = 0; i < LENGTH; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  put_str("crc32: ");
  put_hex(~crc);
  put_nl();
  return 0;
}
