// A 16x16 transpose-and-sum, the program behind transpose.lackey (mem-trace's default trace): strided reads,
// sequential writes. Recorded with: gcc -O1 -static -o t transpose.c && valgrind --tool=lackey --trace-mem=yes --log-file=transpose.lackey ./t
#define N 16
static int a[N][N], b[N][N];
int main(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) a[i][j] = i * N + j;
  int sum = 0;
  for (int r = 0; r < 2; r++)
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) { b[j][i] = a[i][j] + r; sum += b[j][i]; }
  return sum & 1;
}
