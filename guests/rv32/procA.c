// procA: the first of two programs linked at the same addresses with different code (see procB.c).
// It prints 50 Fibonacci numbers mod 2^32, one per line (they wrap past F(47)), and exits 3.

#include "sys.h"

int main(void) {
  uint32_t a = 0, b = 1;
  for (int i = 0; i < 50; i++) {
    put_str("fib ");
    put_udec(a);
    put_nl();
    uint32_t next = a + b;
    a = b;
    b = next;
  }
  return 3;
}
