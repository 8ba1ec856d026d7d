import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { CrucibleError, invalid } from "../../core/errors.ts";
import { checkDocument, protocolNames, validatorFor } from "../../protocol/validate.ts";
import type { RunAction } from "../command.ts";

/** `crucible protocol list|validate`: the contracts shared with the trainer. */
export function registerProtocol(protocol: Command, run: RunAction): void {
  protocol
    .command("list")
    .description("list the protocol documents")
    .action(
      run(async ({ out }) => {
        const names = protocolNames();
        out.result({ documents: names }, () => names.join("\n"));
      }),
    );

  protocol
    .command("validate")
    .description("check a JSON file against a protocol schema")
    .argument("<document>", "protocol document name, e.g. job-spec")
    .argument("<file>", "path of the JSON file")
    .action(
      run(async ({ out }, name: string, file: string) => {
        validatorFor(name); // an unknown document name is reported before the file is read
        const document = readJson(file);
        const issues = checkDocument(name, document);
        if (issues.length > 0) {
          const first = issues[0]!;
          throw new CrucibleError(
            "invalid_argument",
            `${issues.length} problem(s); first: ${first.message}`,
            {
              field: `${file} ${first.path}`,
              fix: `Correct the file so it matches protocol/${name}.schema.json; all problems: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
            },
          );
        }
        out.result({ valid: true, document: name, file }, () => `${file}: valid ${name}`);
      }),
    );
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw invalid(
      "file",
      `cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      file,
      "Give the path of an existing JSON file",
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid("file", `is not JSON: ${(err as Error).message}`, file, "Fix the JSON syntax");
  }
}
