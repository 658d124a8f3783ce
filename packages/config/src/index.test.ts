import { expect, it } from 'vitest';
import { CONFIG_NAME } from './index.js';

it('names the config file as PEFT does', () => {
  expect(CONFIG_NAME).toBe('adapter_config.json');
});
