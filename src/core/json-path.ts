/**
 * A JSON Pointer as validators report it (`/mix/sources/1/share`) written as the JSON path people
 * read in error messages (`$.mix.sources[1].share`).
 * @example jsonPath("/samples/0/messages/2/role") // "$.samples[0].messages[2].role"
 */
export function jsonPath(pointer: string): string {
  const parts = pointer.split("/").slice(1);
  return `$${parts
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) =>
      /^\d+$/.test(part)
        ? `[${part}]`
        : /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)
          ? `.${part}`
          : `[${JSON.stringify(part)}]`,
    )
    .join("")}`;
}
