import { expect, it } from 'vitest';
import * as api from './index.js';

it('names the config file as PEFT does', () => {
  expect(api.CONFIG_NAME).toBe('adapter_config.json');
});

it('exports the documented API from the package root', () => {
  for (const name of [
    'parseAdapterConfig',
    'serializeAdapterConfig',
    'toPeftDict',
    'createLoraConfig',
    'createIA3Config',
    'createAdaLoraConfig',
    'isTargetModule',
    'isFeedforwardModule',
    'expandAllLinear',
    'getPatternKey',
    'rankOf',
    'alphaOf',
    'scalingOf',
    'defaultTargetModules',
    'ConfigError',
  ]) {
    expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
  }
  expect(api.LORA_DEFAULTS.r).toBe(8);
  expect(api.TASK_TYPES).toHaveLength(6);
});
