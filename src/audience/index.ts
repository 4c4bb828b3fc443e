/**
 * Audiences (issue 5): the JSON filter grammar, its compilation to parameterised SQL, the
 * campaign preview (counts per channel after the consent decision) and saved audiences.
 * Other areas import only from here.
 */
export {
  audienceFilterSchema, validateAudience, audienceSql, MAX_DEPTH, MAX_LEAVES, FILTER_LIMITS,
  type AudienceFilter, type AudienceGroup, type AudienceLeaf, type MemberStatus, type MembershipCategory,
  type RoleName, type Language, type PostcodeRange,
} from './filter';
export { chooseChannelSql, chosenChannelSql } from './channel';
export { previewAudience, SAMPLE_SIZE, type PreviewInput, type PreviewResult, type PreviewSample } from './preview';
export {
  listSavedAudiences, getSavedAudience, createSavedAudience, updateSavedAudience, deleteSavedAudience, type SavedAudience,
} from './saved';
export { registerAudienceRoutes } from './routes';
export { audiencePreviewSchema, savedAudienceSchema } from './responses';
