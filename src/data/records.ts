import { invalid } from "../core/errors.ts";

/** Chat roles a training record may carry. */
export type ChatRole = "system" | "user" | "assistant" | "tool";

export const CHAT_ROLES: readonly ChatRole[] = ["system", "user", "assistant", "tool"];

/**
 * The formats of the records a dataset holds, named as a JobSpec source's `format`: `{text}` is
 * text, `{messages}` is chat. Nothing else passes intake (preference pairs, for one, do not).
 */
export const RECORD_FORMATS = ["text", "chat"] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/**
 * A normalised training record: either plain text or a chat transcript. Only these fields are
 * kept; other members of the source object (ids, metadata) are dropped, so the dataset digest
 * covers exactly what training sees.
 */
export type DataRecord = { text: string } | { messages: ChatMessage[] };

/** A record together with where it came from in its source file. */
export interface SourcedRecord {
  /** Zero-based position of the record in the dataset. */
  index: number;
  /** One-based line (JSONL, text, CSV physical line) or row (Parquet) where the record starts. */
  line: number;
  record: DataRecord;
}

/** Where a value sits inside a record, for error messages and findings. */
export interface RecordPlace {
  file: string;
  line: number;
}

/**
 * Checks a parsed JSON value and returns its normalised record, or throws `invalid_argument`
 * naming the file, line and field.
 * @example normaliseRecord({ text: "hi", id: 3 }, { file: "a.jsonl", line: 1 }) // { text: "hi" }
 */
export function normaliseRecord(value: unknown, place: RecordPlace): DataRecord {
  const at = `${place.file}:${place.line}`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(
      at,
      "record is not a JSON object",
      kindOf(value),
      'Write one object per line: {"text": "..."} or {"messages": [...]}',
    );
  }
  const obj = value as Record<string, unknown>;
  const hasText = "text" in obj;
  const hasMessages = "messages" in obj;
  if (hasText && hasMessages) {
    throw invalid(
      `${at} text`,
      "record has both text and messages",
      Object.keys(obj),
      "Keep either text or messages, not both",
    );
  }
  if (hasText) {
    if (typeof obj.text !== "string") {
      throw invalid(`${at} text`, "text is not a string", kindOf(obj.text), "Make text a JSON string");
    }
    return { text: obj.text };
  }
  if (hasMessages) return { messages: normaliseMessages(obj.messages, at) };
  throw invalid(
    at,
    "record has neither text nor messages",
    Object.keys(obj),
    'Add a "text" string or a "messages" array',
  );
}

function normaliseMessages(value: unknown, at: string): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(
      `${at} messages`,
      "messages is not a non-empty array",
      kindOf(value),
      'Give messages as [{"role": "user", "content": "..."}, ...]',
    );
  }
  return value.map((message: unknown, i) => {
    const field = `${at} messages[${i}]`;
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      throw invalid(
        field,
        "message is not an object",
        kindOf(message),
        'Each message is {"role": ..., "content": ...}',
      );
    }
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== "string" || !(CHAT_ROLES as readonly string[]).includes(role)) {
      throw invalid(
        `${field}.role`,
        "role is not one of the chat roles",
        role,
        `Use one of ${CHAT_ROLES.join(", ")}`,
      );
    }
    if (typeof content !== "string") {
      throw invalid(
        `${field}.content`,
        "content is not a string",
        kindOf(content),
        "Make content a JSON string",
      );
    }
    return { role: role as ChatRole, content };
  });
}

/**
 * The strings of a record that scanners look at, each with its JSON path.
 * @example recordFields({ messages: [{ role: "user", content: "hi" }] }) // [{ field: "messages[0].content", value: "hi" }]
 */
export function recordFields(record: DataRecord): Array<{ field: string; value: string }> {
  if ("text" in record) return [{ field: "text", value: record.text }];
  return record.messages.map((m, i) => ({ field: `messages[${i}].content`, value: m.content }));
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
