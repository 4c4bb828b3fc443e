import { reachableSql, preferredChannelSql, type Channel } from '../consent';

/**
 * THE rule of which channel a member gets a message on (one definition; audience preview, the
 * launch snapshot and the ballot plan all use it):
 *
 *   1. the member's own preferred channel, when the campaign offers it and the consent decision
 *      allows it;
 *   2. otherwise the first channel, in the campaign's order, that the decision allows;
 *   3. otherwise none (NULL): the member is unreachable (logged skipped at launch).
 *
 * It is written once, as SQL, because every user of it is set-based (a million members in one
 * statement). `chooseChannelSql` takes the two facts as SQL expressions, so a query that has
 * already computed them (the preview's materialised flags) does not compute them twice;
 * `chosenChannelSql` is the same rule over a `members` row, computing the facts itself.
 */
export function chooseChannelSql(channels: readonly Channel[], facts: { preferred: string; allowed: (ch: Channel) => string }): string {
  if (!channels.length) return 'NULL::text';
  const preferred = channels.map((ch) => `WHEN ${facts.preferred} = '${ch}' AND ${facts.allowed(ch)} THEN '${ch}'`);
  const inOrder = channels.map((ch) => `WHEN ${facts.allowed(ch)} THEN '${ch}'`);
  return `(CASE ${[...preferred, ...inOrder].join(' ')} ELSE NULL END)`;
}

/**
 * The chosen channel of the member row `memberAlias` for a campaign of category `categoryParam`
 * (an SQL expression, e.g. `$2`) on `channels` in order; NULL when none reaches them.
 */
export function chosenChannelSql(memberAlias: string, categoryParam: string, channels: readonly Channel[], opts: { includeResigned?: boolean } = {}): string {
  return chooseChannelSql(channels, {
    preferred: preferredChannelSql(memberAlias),
    allowed: (ch) => reachableSql(memberAlias, categoryParam, ch, opts),
  });
}
