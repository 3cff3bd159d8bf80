// Small statistics the bench sections share: the median of a section's rounds, and three significant digits
// (more would be noise between runs, and the JSON stays readable).

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function sig(x: number): number {
  return Number(x.toPrecision(3));
}
