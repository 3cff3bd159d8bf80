// procB: the second of two programs linked at the same addresses as procA with different code.
// It prints the Collatz sequence from 27 (112 lines, down to 1) and exits 5.

#include "sys.h"

int main(void) {
  uint32_t n = 27;
  for (int steps = 0; steps < 1000; steps++) {
    put_str("collatz ");
    put_udec(n);
    put_nl();
    if (n == 1) break;
    n = (n & 1) ? 3 * n + 1 : n / 2;
  }
  return 5;
}
