export * from './posterior-mean.ts';

export * from './gmm.ts';
