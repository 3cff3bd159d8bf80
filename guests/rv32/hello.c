// hello: the smallest guest program, one fixed line and exit code 0.
// It checks the start file, the write syscall and exit_group before anything larger runs.

#include "sys.h"

int main(void) {
  put_str("hello from rv32im\n");
  return 0;
}
