/** @packageDocumentation Create and update a PEFT adapter's README.md model card exactly as PEFT does: YAML front matter, template sections, framework versions. */
export {};
