import type { Hit } from "./findings.ts";

/**
 * Keeps, of overlapping hits, the specific detector over `generic_secret`, then the longer.
 * Overlaps are rare: each cluster of overlapping hits is resolved on its own after one sort, so
 * the cost stays O(n log n) even for a string holding a hundred thousand hits.
 */
export function resolveOverlaps(hits: Hit[]): Hit[] {
  if (hits.length < 2) return hits;
  const sorted = [...hits].sort((a, b) => a.start - b.start);
  const kept: Hit[] = [];
  let cluster: Hit[] = [];
  let clusterEnd = -1;
  for (const h of sorted) {
    if (h.start >= clusterEnd && cluster.length > 0) {
      kept.push(...bestOf(cluster));
      cluster = [];
    }
    cluster.push(h);
    clusterEnd = Math.max(clusterEnd, h.end);
  }
  kept.push(...bestOf(cluster));
  return kept;
}

/** Within overlapping hits: specific detectors before `generic_secret`, then longer first. */
function bestOf(cluster: Hit[]): Hit[] {
  if (cluster.length === 1) return cluster;
  const rank = (h: Hit) => (h.detector === "generic_secret" ? 0 : 1) * 1e9 + (h.end - h.start);
  const kept: Hit[] = [];
  for (const h of [...cluster].sort((a, b) => rank(b) - rank(a))) {
    if (!kept.some((k) => h.start < k.end && k.start < h.end)) kept.push(h);
  }
  return kept.sort((a, b) => a.start - b.start);
}
