import { verifyAuditChain } from '../../audit/chain';
import { defineRoute } from '../http/route';

export const auditRoutes = [
  defineRoute({
    method: 'get',
    path: '/audit/verify',
    summary: 'Prove the audit chain intact, or name the first entry edited, inserted or missing',
    auth: ['admin', 'officer'],
    handler: ({ deps }) => verifyAuditChain(deps.prisma),
  }),
];
