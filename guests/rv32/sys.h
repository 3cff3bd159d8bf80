// Syscall stubs and tiny output helpers shared by the RV32IM guest programs (see start.S and sys.c).
// Only write (64), exit_group (94) and brk (214) are used, the three syscalls the translator implements.

#ifndef GUEST_SYS_H
#define GUEST_SYS_H

#include <stddef.h>
#include <stdint.h>

long sys_write(int fd, const void *buf, size_t len);
void sys_exit_group(int code) __attribute__((noreturn));
uintptr_t sys_brk(uintptr_t addr);
void *sbrk(ptrdiff_t increment);

void put_char(char c);
void put_str(const char *s);
void put_dec(int32_t value);
void put_udec(uint32_t value);
void put_hex(uint32_t value);
void put_nl(void);

#endif
