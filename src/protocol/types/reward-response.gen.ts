/* Generated from protocol/reward-response.schema.json by `npm run gen:protocol`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */

/**
 * Scores for a RewardRequest's samples, one result per sample id.
 */
export interface RewardResponse {
  protocol_version: 1;
  results: {
    id: string;
    aggregate_reward_score: number;
    metrics_list?: {
      name: string;
      value: number;
      type: "Reward" | "Metric";
    }[];
  }[];
}
