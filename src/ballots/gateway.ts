import type { CampaignGateway } from './notify';
import { Problem } from '../errors';

const unavailable = (): never => {
  throw new Problem(503, 'Service Unavailable', 'The campaigns part is not available in this build; ballot notifications cannot be launched.');
};

/** The ballots part's way into campaigns (see CampaignGateway). */
export const campaignGateway: CampaignGateway = {
  create: async () => unavailable(),
  launch: async () => unavailable(),
  cancel: async () => unavailable(),
};
