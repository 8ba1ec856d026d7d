import { invalid } from "../core/errors.ts";

const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/**
 * Checks a dataset name: 1–128 characters of lower-case letters, digits, `.`, `_` and `-`,
 * starting with a letter or digit. Names become parts of storage paths and CLI output, so path
 * separators, `..`, whitespace and control characters are refused with a message saying which.
 * @example validateDatasetName("support-chats.v2") // "support-chats.v2"
 */
export function validateDatasetName(name: string): string {
  const fix = "Use 1-128 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit";
  if (name.length === 0) throw invalid("name", "dataset name is empty", name, fix);
  if (name.includes("/") || name.includes("\\")) {
    throw invalid("name", "dataset name contains a path separator", name, fix);
  }
  if ([...name].some(isControl)) {
    throw invalid("name", "dataset name contains a control character", escapeControls(name), fix);
  }
  if (name.includes("..")) throw invalid("name", "dataset name contains '..'", name, fix);
  if (name.length > 128)
    throw invalid("name", "dataset name is longer than 128 characters", name.length, fix);
  if (!NAME.test(name)) throw invalid("name", "dataset name has characters outside a-z 0-9 . _ -", name, fix);
  return name;
}

/** C0 and C1 control characters and DEL. */
function isControl(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

function escapeControls(name: string): string {
  return [...name]
    .map((c) => (isControl(c) ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}` : c))
    .join("");
}
