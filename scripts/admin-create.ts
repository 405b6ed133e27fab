// `npm run admin:create -- <email> [display name]`: the first-run command for production. Creates
// an administrator in DATABASE_URL's database and prints its API key once.
import { createUser } from '../api/use-cases/users';
import { loadConfigOrExit } from '../infra/config';
import { createPrismaClient } from '../infra/db';
import { migrateDatabase } from '../infra/migrate';

async function main() {
  const [email, ...name] = process.argv.slice(2);
  if (!email) {
    console.error('usage: npm run admin:create -- <email> [display name]');
    process.exit(64);
  }
  const config = loadConfigOrExit();
  await migrateDatabase(config.DATABASE_URL);
  const prisma = createPrismaClient(config.DATABASE_URL);
  try {
    const { user, apiKey } = await createUser(prisma, null, {
      email: email.toLowerCase(),
      displayName: name.join(' ') || 'Administrator',
      role: 'admin',
    });
    console.log(`Administrator ${user.email} created (id ${user.id}).\nAPI key (shown once): ${apiKey}`);
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
