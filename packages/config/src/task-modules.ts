import type { TaskType } from './peft-types.js';
import type { AdapterConfig } from './types.js';

/**
 * Modules the task classes add to `modules_to_save` (`PeftModelForSequenceClassification` and
 * `…ForTokenClassification`: the classification head; `…ForQuestionAnswering`: `qa_outputs`). Other task types
 * add none.
 */
export const TASK_MODULES_TO_SAVE: Readonly<Partial<Record<TaskType, readonly string[]>>> = {
  SEQ_CLS: ['classifier', 'score'],
  TOKEN_CLS: ['classifier', 'score'],
  QUESTION_ANS: ['qa_outputs'],
};

/**
 * The config as PEFT's task class leaves it when it wraps the model: the task's head modules appended to
 * `modules_to_save` (created if null; duplicates kept, as PEFT appends without checking). Files written by
 * PEFT already contain them, so apply this only to configs that have not been through PEFT.
 *
 * @param config - a config
 * @returns a new config, or the same one for task types that add nothing
 * @example
 * ```ts
 * withTaskModulesToSave(createLoraConfig({ task_type: 'SEQ_CLS' })).modules_to_save; // ['classifier', 'score']
 * ```
 */
export function withTaskModulesToSave<T extends AdapterConfig>(config: T): T {
  const extra = config.task_type === null ? undefined : TASK_MODULES_TO_SAVE[config.task_type];
  if (extra === undefined) return config;
  return { ...config, modules_to_save: [...(config.modules_to_save ?? []), ...extra] };
}
