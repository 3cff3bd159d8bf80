// qsort: a recursive quicksort of 5000 signed ints (negatives included) in a malloc'd array.
// malloc makes picolibc call sbrk and so the brk syscall; signed compares (blt/bge) decide the order.

#include <stdlib.h>

#include "sys.h"

#define COUNT 5000

static void quicksort(int32_t *a, int lo, int hi) {
  while (lo < hi) {
    int32_t pivot = a[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        int32_t t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    // Recurse into the smaller side and loop on the larger so the stack stays shallow.
    if (j - lo < hi - i) {
      quicksort(a, lo, j);
      lo = i;
    } else {
      quicksort(a, i, hi);
      hi = j;
    }
  }
}

int main(void) {
  int32_t *a = malloc(COUNT * sizeof *a);
  if (a == NULL) {
    put_str("malloc failed\n");
    return 2;
  }
  uint32_t state = 2024;
  for (int i = 0; i < COUNT; i++) {
    state = state * 1103515245u + 12345u;
    a[i] = (int32_t)state >> 7;
  }
  quicksort(a, 0, COUNT - 1);
  uint32_t checksum = 0;
  int sorted = 1;
  for (int i = 0; i < COUNT; i++) {
    checksum = checksum * 31u + (uint32_t)a[i];
    if (i > 0 && a[i - 1] > a[i]) sorted = 0;
  }
  put_str("qsort checksum: ");
  put_hex(checksum);
  put_str("\nmin: ");
  put_dec(a[0]);
  put_str("\nmax: ");
  put_dec(a[COUNT - 1]);
  put_str(sorted ? "\nsorted: yes\n" : "\nsorted: no\n");
  free(a);
  return sorted ? 0 : 1;
}
