/**
 * The version of `@peftjs/model-card`: `pnpm version-packages` (changesets) rewrites it with package.json's; a test
 * checks they agree.
 */
export const PACKAGE_VERSION = '0.0.0';

/**
 * The entry written under `### Framework versions` by default, where PEFT writes `PEFT <version>`.
 *
 * @defaultValue `peftjs <PACKAGE_VERSION>`
 */
export const DEFAULT_FRAMEWORK: string = `peftjs ${PACKAGE_VERSION}`;
