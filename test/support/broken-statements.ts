/**
 * Intent files (bodies for `smallWorkspace`) with a statement that has errors beside statements
 * that are proved: what docs/cli.md's "While statements have errors" is about, for the CLI and the
 * language server alike.
 */

/** An unknown name in intent `typo` (line 4); `holding` holds, `detour` is violated (r2 is a cut vertex). */
export const TYPO_BESIDE_PROVED = `default deny
intent typo {
  allow segment webb -> db : tcp 8443
}
intent holding {
  allow web -> db : tcp 443
}
intent detour {
  allow web -> db : tcp 80
    avoid r2
}
`;

/** An allow (line 3) and a deny (line 6) that overlap with neither containing the other; `inside-both` is inside both; `unrelated` overlaps neither. */
export const OVERLAP_BESIDE_PROVED = `intent overlap-allow {
  allow web -> db : tcp 5000-6000
}
intent overlap-deny {
  deny web -> db : tcp 5500-7000
}
intent inside-both {
  allow web -> db : tcp 5800
}
intent unrelated {
  allow web -> db : tcp 443
  deny web -> db : tcp 22
}
`;
