// The package's public surface (src/index.ts, README's "As a library"): its names are pinned here,
// so a change to the surface is deliberate, and each of them carries TSDoc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import * as api from '../src/index.ts';

const VALUES = [
  'ALGOS',
  'AsyncVectorEnv',
  'Box',
  'CheckpointError',
  'ClipAction',
  'ConfigError',
  'DEFAULTS',
  'NonFiniteError',
  'NormalizeObservation',
  'PRESETS',
  'PRESET_NAMES',
  'RecordEpisodeStatistics',
  'RescaleAction',
  'SyncVectorEnv',
  'TASK_DEFAULTS',
  'TASK_REQUIREMENTS',
  'TimeLimit',
  'availableAgents',
  'checkEnv',
  'createAgent',
  'envSpec',
  'evaluate',
  'listEnvs',
  'loadAgent',
  'loadAgentFile',
  'makeEnv',
  'makeVectorEnv',
  'plotRuns',
  'predictor',
  'registerEnv',
  'resolveConfig',
  'resumeTraining',
  'saveAgent',
  'train',
];
const TYPES = [
  'ActOptions',
  'Agent',
  'Algo',
  'Config',
  'ConfigPatch',
  'CurveGroup',
  'Env',
  'EnvSpec',
  'EvalResult',
  'Info',
  'LoadedRun',
  'MakeEnvOptions',
  'Observation',
  'PlotRunsOptions',
  'Predict',
  'PresetName',
  'ResetOptions',
  'ResolveOptions',
  'RfmConfig',
  'SacConfig',
  'StepInfo',
  'StepResult',
  'Td3Config',
  'TrainCallbacks',
  'TrainConfig',
  'TrainOptions',
  'TrainResult',
  'VectorEnv',
];

test('the runtime names exported by rfm-rl are exactly the pinned ones', () => {
  assert.deepEqual(Object.keys(api).sort(), [...VALUES].sort());
});

test('every exported name, value or type, has TSDoc', () => {
  const program = ts.createProgram(['src/index.ts'], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    noResolve: false,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile('src/index.ts')!;
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!);
  assert.deepEqual(exports.map((s) => s.name).sort(), [...VALUES, ...TYPES].sort());
  const undocumented = exports.filter((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    return ts.displayPartsToString(target.getDocumentationComment(checker)).trim() === '';
  });
  assert.deepEqual(undocumented.map((s) => s.name).sort(), []);
});
