// sieve: the sieve of Eratosthenes over a byte array for the primes below 20000.
// It exercises byte loads and stores, nested loops and multiplication; it prints the count, the sum and the last one.

#include "sys.h"

#define LIMIT 20000

static uint8_t composite[LIMIT];

int main(void) {
  uint32_t count = 0, sum = 0, last = 0;
  for (uint32_t i = 2; i * i < LIMIT; i++) {
    if (composite[i]) continue;
    for (uint32_t j = i * i; j < LIMIT; j += i) composite[j] = 1;
  }
  for (uint32_t i = 2; i < LIMIT; i++) {
    if (composite[i]) continue;
    count++;
    sum += i;
    last = i;
  }
  put_str("primes below 20000: ");
  put_udec(count);
  put_str("\nsum: ");
  put_udec(sum);
  put_str("\nlast: ");
  put_udec(last);
  put_nl();
  return 0;
}
