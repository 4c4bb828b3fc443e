/**
 * Strikes (issue 16): a strike under one tariff agreement and its moves (varslet →
 * plassoppsigelse → streik → avsluttet), phases (uttak) and who they take out, strike messages
 * (campaigns in the strike category linked to the strike and phase), plassoppsigelse exports,
 * strike committees and guard lists, and the erasure when the strike ends.
 * Tables: migration 130. Other areas import only from here.
 */
export { type Strike, type StrikeState, STRIKE_STATES, STRIKE_STATE_LABEL, loadStrike, listStrikes, createStrike, updateStrike, moveStrike, assertMove } from './model';
export { type Phase, listPhases, createPhase, takeBackIn, listStrikeMembers, strikersAt, coveredSql } from './phases';
export { type StrikePurpose, STRIKE_PURPOSES, STRIKE_PURPOSE_LABEL, createStrikeMessage, approveStrikeMessage, listStrikeMessages } from './messages';
export { endStrike, sweepEndedStrikes, eraseStrikeDataIn, type StrikeErasure, type StrikeSweepReport } from './erase';
export { exportNoticeList, listNoticeExports, phaseEmployers, BASE_NOTICE_FIELDS, OPTIONAL_NOTICE_FIELDS, type NoticeExport } from './exports';
export {
  createCommittee, getCommittee, listCommittees, myCommittees, addCommitteeMember, reachCommittee, addGuard, listGuards, recordShareConsent,
  shareGuard, removeGuard, addShift, listShifts, assignGuard, exportGuardList, type Committee, type Guard, type Shift,
} from './committees';
export { toCsv } from './csv';
export { registerStrikeRoutes, strikeView } from './routes';
