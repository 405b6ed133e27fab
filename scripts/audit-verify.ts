// `npm run audit:verify`: checks the audit chain of DATABASE_URL's database; exits 1 if it is broken.
import { verifyAuditChain } from '../audit/chain';
import { loadConfigOrExit } from '../infra/config';
import { createPrismaClient } from '../infra/db';

async function main() {
  const config = loadConfigOrExit();
  const prisma = createPrismaClient(config.DATABASE_URL);
  try {
    const report = await verifyAuditChain(prisma);
    if (report.intact) {
      console.log(`The audit chain is intact: ${report.checked} entries checked.`);
    } else {
      const b = report.firstBroken!;
      console.error(`The audit chain is BROKEN at entry ${b.seq}${b.id ? ` (id ${b.id})` : ''}: ${b.reason}. ${report.checked} entries before it are intact.`);
      process.exitCode = 1;
    }
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
