/**
 * Why a database entry's schedule is not one its kernel can run, as the build's and monc tune's notes say it (QA1 s31
 * Q1001: a form this release dropped from the search, which an older build's monc tune wrote, was called damaged).
 * Its own file: the compiler (monc/compiler, no tuner inside) and the tuning database's module (no compiler inside)
 * both say it.
 */
export const UNUSABLE_TUNING_CAUSES = 'a form this monc no longer has, or a hand-edited or damaged entry';
