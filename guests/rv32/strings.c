// strings: calls picolibc's memcpy, memset, strlen and strcmp (the functions the translator binds natively) and
// sums signed byte and half arrays; a wrong binding or a load sign-extension bug changes its output. Exits 7.

#include <string.h>

#include "sys.h"

// Not static and not const, so the compiler must load them with lb/lh rather than fold the sums.
int8_t signed_bytes[8] = {-128, -1, 127, -2, 5, -100, 0, -7};
int16_t signed_halves[6] = {-32768, -1, 32767, -300, 12, -9};
uint8_t unsigned_bytes[4] = {0x80, 0xff, 0x7f, 0x01};
char source[300];
char target[320];

static int sign(int v) { return (v > 0) - (v < 0); }

static uint32_t checksum(const char *p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i < n; i++) sum = sum * 33u + (uint8_t)p[i];
  return sum;
}

static void show(const char *label, int32_t value) {
  put_str(label);
  put_dec(value);
  put_nl();
}

int main(void) {
  for (int i = 0; i < 300; i++) source[i] = (char)(i * 7 + 3);
  memcpy(target + 3, source + 1, 290);
  put_str("memcpy checksum: ");
  put_hex(checksum(target, sizeof target));
  put_nl();
  memset(target + 5, 0xa5, 101);
  put_str("memset checksum: ");
  put_hex(checksum(target, sizeof target));
  put_nl();
  show("strlen empty: ", (int32_t)strlen(""));
  show("strlen hello: ", (int32_t)strlen("hello, world"));
  target[200] = '\0';
  show("strlen target+3: ", (int32_t)strlen(target + 3));
  show("strcmp equal: ", sign(strcmp("abc", "abc")));
  show("strcmp less: ", sign(strcmp("abc", "abd")));
  show("strcmp prefix: ", sign(strcmp("ab", "abc")));
  show("strcmp high vs ascii: ", sign(strcmp("\x80zz", "azz")));
  show("strcmp ascii vs high: ", sign(strcmp("a", "\xff")));
  int32_t sum8 = 0, sum16 = 0;
  uint32_t sumu8 = 0;
  for (int i = 0; i < 8; i++) sum8 += signed_bytes[i];
  for (int i = 0; i < 6; i++) sum16 += signed_halves[i];
  for (int i = 0; i < 4; i++) sumu8 += unsigned_bytes[i];
  show("int8 sum: ", sum8);
  show("int16 sum: ", sum16);
  show("uint8 sum: ", (int32_t)sumu8);
  return 7;
}
