// The one number grammar for everything a user types: CLI flags, --set values, string values in parameter files.
// Plain decimals only (no hex, exponent, '+', spaces or empty strings), so `--seed` and `--set` read numbers alike.

/** An integer as a user may write it: an optional minus sign and decimal digits. */
export const INTEGER_TEXT = /^-?\d+$/;

/** A number as a user may write it: an integer, optionally followed by a decimal point and digits. */
export const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/** The integer `text` spells, or null when it does not follow the grammar or is not a safe integer. */
export function parseIntegerText(text: string): number | null {
  if (!INTEGER_TEXT.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** The finite number `text` spells, or null when it does not follow the grammar. */
export function parseDecimalText(text: string): number | null {
  if (!DECIMAL_TEXT.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/**
 * A number written in the grammar above, so a printed reproduce command reads back: `String(1e-7)` is
 * "1e-7", which the grammar refuses, so exponent forms are expanded digit for digit (still the shortest
 * digits that round-trip, only without the exponent).
 */
export function decimalText(n: number): string {
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const exp = Number(m[4]);
  if (exp < 0) return `${m[1]}0.${'0'.repeat(-exp - 1)}${digits}`;
  return `${m[1]}${digits}${'0'.repeat(Math.max(0, exp - (digits.length - 1)))}`;
}
