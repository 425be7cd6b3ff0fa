export * from './gaussian-path.ts';
