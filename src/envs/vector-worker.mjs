// Entry point of an AsyncVectorEnv worker thread. Worker threads start without the parent's
// TypeScript loader, so this plain-JS file registers tsx first, then loads the worker proper.
import { register } from 'tsx/esm/api';

register();
await import('./vector-worker.ts');
