import { labelBefore } from "../chars.ts";
import { isIpv4 } from "../checks/numbers.ts";
import { defineDetector } from "../detector.ts";

/** Words after which a dotted quad is a version or a section number. */
const VERSION_BEFORE = /\b(?:v|version|section|sect|§|chapter|clause|rule|step|oid)\.?\s?$/i;

/** Dotted-quad IPv4 addresses that can name a host (the scanner drops versions and host names). */
export const ipv4 = defineDetector({
  id: "ipv4",
  kind: "pii",
  placeholder: "[IP]",
  confidence: 0.8,
  finder: {
    digits: isIpv4,
    // A version (`version 1.2.3.4`, `11.3.244.8-node.9`), a section number (`section 24.5.1.1`)
    // or the start of a host name (`10.10.10.10.example.com`) is no address.
    inContext: (text, start, end) =>
      !labelBefore(VERSION_BEFORE, text, start, 28) &&
      !/^(?:\.[A-Za-z0-9]|-[A-Za-z])/.test(text.slice(end, end + 2)),
  },
  mask: (raw) => `${raw.split(".")[0]}.*.*.*`,
});
