// cbench: the speed bench's longer workload: CRC-32 over 8 MiB of LCG bytes and a sieve below two million.
// It is built like every guest program; the sizes are macros so a scaled-down copy can count instructions.

#include "sys.h"

#ifndef CBENCH_MIB
#define CBENCH_MIB 8
#endif
#ifndef CBENCH_SIEVE
#define CBENCH_SIEVE 2000000
#endif
#define CHUNK 65536

static uint32_t table[256];
static uint8_t chunk[CHUNK];
static uint8_t composite[CBENCH_SIEVE];

static uint32_t crc_of_lcg_bytes(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  uint32_t state = 1, crc = 0xffffffffu;
  for (uint32_t round = 0; round < CBENCH_MIB * (1048576 / CHUNK); round++) {
    for (uint32_t i = 0; i < CHUNK; i++) {
      state = state * 1664525u + 1013904223u;
      chunk[i] = (uint8_t)(state >> 24);
    }
    for (uint32_t i = 0; i < CHUNK; i++) crc = table[(crc ^ chunk[i]) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

static uint32_t count_primes(void) {
  uint32_t count = 0;
  for (uint32_t i = 2; i < CBENCH_SIEVE; i++) {
    if (composite[i]) continue;
    count++;
    for (uint32_t j = i * i; i < 65536 && j < CBENCH_SIEVE; j += i) composite[j] = 1;
  }
  return count;
}

int main(void) {
  uint32_t crc = crc_of_lcg_bytes();
  uint32_t primes = count_primes();
  put_str("cbench crc32 ");
  put_hex(crc);
  put_str(" primes ");
  put_udec(primes);
  put_nl();
  return 0;
}
