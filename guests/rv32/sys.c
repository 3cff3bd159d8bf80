// Syscall stubs (ecall with a7 = 64 write, 94 exit_group, 214 brk) and the output helpers of the guest programs.
// They stand in for printf and picolibc's stdio so binaries stay small and use no other syscall; sbrk sits on brk.

#include "sys.h"

static long syscall3(long number, long a0, long a1, long a2) {
  register long r_a0 __asm__("a0") = a0;
  register long r_a1 __asm__("a1") = a1;
  register long r_a2 __asm__("a2") = a2;
  register long r_a7 __asm__("a7") = number;
  __asm__ volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a7) : "memory");
  return r_a0;
}

long sys_write(int fd, const void *buf, size_t len) { return syscall3(64, fd, (long)buf, (long)len); }

void sys_exit_group(int code) {
  syscall3(94, code, 0, 0);
  for (;;) {
  }
}

uintptr_t sys_brk(uintptr_t addr) { return (uintptr_t)syscall3(214, (long)addr, 0, 0); }

static uintptr_t current_break;

// Linux's brk returns the new break on success and the old one on failure; sbrk turns that into (void *)-1.
void *sbrk(ptrdiff_t increment) {
  if (current_break == 0) current_break = sys_brk(0);
  uintptr_t old = current_break;
  uintptr_t wanted = old + (uintptr_t)increment;
  if (increment != 0 && sys_brk(wanted) != wanted) return (void *)-1;
  current_break = wanted;
  return (void *)old;
}

void *_sbrk(ptrdiff_t increment) { return sbrk(increment); }

void put_char(char c) { sys_write(1, &c, 1); }

void put_str(const char *s) {
  size_t n = 0;
  while (s[n] != '\0') n++;
  sys_write(1, s, n);
}

void put_udec(uint32_t value) {
  char buf[12];
  int i = sizeof buf;
  do {
    buf[--i] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  sys_write(1, buf + i, sizeof buf - (size_t)i);
}

void put_dec(int32_t value) {
  if (value < 0) {
    put_char('-');
    put_udec(0u - (uint32_t)value);
  } else {
    put_udec((uint32_t)value);
  }
}

void put_hex(uint32_t value) {
  char buf[10] = {'0', 'x'};
  for (int i = 0; i < 8; i++) buf[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 15];
  sys_write(1, buf, sizeof buf);
}

void put_nl(void) { put_char('\n'); }
