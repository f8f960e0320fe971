// Order statistics shared by the benches. CommonJS (.cts), so that both the
// ES module benches and bench/peer's CommonJS ones can import it.

/** The value at fraction f (0..1) of an ascending list: the sample of rank floor(f * n), within the list. */
export const quantile = (sorted: number[], f: number): number => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))];

/** A sorted copy. */
export const ascending = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

export const median = (xs: number[]): number => quantile(ascending(xs), 0.5);
