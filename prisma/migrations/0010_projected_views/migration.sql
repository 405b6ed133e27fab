-- AlterTable
ALTER TABLE "Application" ADD COLUMN "viewJson" TEXT;

-- AlterTable
ALTER TABLE "Station" ADD COLUMN "viewJson" TEXT;
