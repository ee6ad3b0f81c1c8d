export * from './anomaly';
export * from './decode-result';
export * from './direction';
