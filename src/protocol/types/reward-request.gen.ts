/* Generated from protocol/reward-request.schema.json by `npm run gen:protocol`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */

/**
 * A batch of sampled completions sent to a reward function (the same shape as the Lambda graders users write for Bedrock RFT, plus protocol_version).
 */
export interface RewardRequest {
  protocol_version: 1;
  /**
   * Name and version of the reward function to apply, as approved for the run.
   */
  reward_function?: string;
  /**
   * @minItems 1
   * @maxItems 4096
   */
  samples: {
    id: string;
    /**
     * @minItems 1
     */
    messages: {
      role: "system" | "user" | "assistant";
      content: string;
    }[];
    /**
     * What the grader compares against; any JSON value the reward function understands.
     */
    reference_answer?:
      | string
      | number
      | boolean
      | {
          [k: string]: unknown | undefined;
        }
      | unknown[]
      | null;
    metadata?: {
      [k: string]: unknown | undefined;
    };
  }[];
}
