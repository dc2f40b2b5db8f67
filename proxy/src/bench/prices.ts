/**
 * S3 request prices the benchmarks turn request counts into dollars with. Prices change: each
 * table carries the date it was read and where, and the benchmarks copy it into their JSON, so a
 * result is never separated from the prices it was costed at.
 *
 * S3 Express One Zone: since the price change of 2025-04-10 the AWS S3 FAQ's worked example
 * bills the per-GB upload charge on every byte of a 10 KB request (GB = 2^30 bytes). The price
 * list of 2023 billed it only on the part of a request above 512 KB. We follow the current
 * example (the pessimistic reading); `uploadFreeBytes` reproduces the old one. For the 32 B –
 * 1 KiB values measured here the difference is below 0.3 % of the request price.
 */

export interface TierPrices {
  name: string;
  /** Dollars per 1,000 PUT (COPY, POST, LIST) requests. */
  putPer1000: number;
  /** Dollars per 1,000 GET (and other read) requests. */
  getPer1000: number;
  /** Dollars per GB (2^30 bytes) uploaded, on the bytes of a request above uploadFreeBytes. */
  uploadPerGB: number;
  uploadFreeBytes: number;
}

export interface PriceTable {
  region: string;
  /** The date these prices took effect, and when and where they were checked. */
  asOf: string;
  checked: string;
  source: string;
  s3Standard: TierPrices;
  s3ExpressOneZone: TierPrices;
}

export const S3_PRICES: PriceTable = {
  region: 'us-east-1',
  asOf: '2025-04-10',
  checked: '2026-11-22',
  source: 'AWS S3 pricing page and S3 FAQ (Express One Zone worked example)',
  s3Standard: { name: 'S3 Standard', putPer1000: 0.005, getPer1000: 0.0004, uploadPerGB: 0, uploadFreeBytes: 0 },
  s3ExpressOneZone: { name: 'S3 Express One Zone', putPer1000: 0.00113, getPer1000: 0.00003, uploadPerGB: 0.0032, uploadFreeBytes: 0 },
};

const GB = 2 ** 30;

/** Dollars for `puts` PUT requests of `bytesPerPut` bytes each. */
export function putDollars(tier: TierPrices, puts: number, bytesPerPut: number): number {
  const billedBytes = Math.max(0, bytesPerPut - tier.uploadFreeBytes);
  return (puts / 1000) * tier.putPer1000 + ((puts * billedBytes) / GB) * tier.uploadPerGB;
}

/** Dollars per million writes when each write is one PUT of `bytes` bytes. */
export function dollarsPerMillionPuts(tier: TierPrices, bytes: number): number {
  return putDollars(tier, 1e6, bytes);
}
