export * from './module.ts';
export * from './init.ts';
export * from './layers.ts';
export * from './optim.ts';
export * from './safetensors.ts';
export * from './regression.ts';
